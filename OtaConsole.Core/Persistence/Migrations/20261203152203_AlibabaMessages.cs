using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AlibabaMessages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "Cursor",
                table: "SchedulerLeases",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.UpdateData(
                table: "SchedulerLeases",
                keyColumn: "Name",
                keyValue: "scheduler",
                column: "Cursor",
                value: null);

            migrationBuilder.UpdateData(
                table: "SchedulerLeases",
                keyColumn: "Name",
                keyValue: "webhooks",
                column: "Cursor",
                value: null);

            migrationBuilder.InsertData(
                table: "SchedulerLeases",
                columns: new[] { "Name", "Cursor", "ExpiresAt", "Holder" },
                values: new object[] { "alibaba-messages", null, 0L, "" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DeleteData(
                table: "SchedulerLeases",
                keyColumn: "Name",
                keyValue: "alibaba-messages");

            migrationBuilder.DropColumn(
                name: "Cursor",
                table: "SchedulerLeases");
        }
    }
}
