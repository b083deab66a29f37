using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class NoticeTimingAndVerifyDeadline : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "LastResentAt",
                table: "Tasks",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "NoticeDueAt",
                table: "Tasks",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ReconnectsSinceNotice",
                table: "Tasks",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "RedeliveryDue",
                table: "Tasks",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "Renotices",
                table: "Tasks",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "UndeliveredNotices",
                table: "Tasks",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "VerifyFailure",
                table: "Packages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DeadlineAt",
                table: "Batches",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_NoticeDueAt",
                table: "Tasks",
                column: "NoticeDueAt",
                filter: "\"NoticeDueAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Tasks_NoticeDueAt",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "LastResentAt",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "NoticeDueAt",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "ReconnectsSinceNotice",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "RedeliveryDue",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "Renotices",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "UndeliveredNotices",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "VerifyFailure",
                table: "Packages");

            migrationBuilder.DropColumn(
                name: "DeadlineAt",
                table: "Batches");
        }
    }
}
