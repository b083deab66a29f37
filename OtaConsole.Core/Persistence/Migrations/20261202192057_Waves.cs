using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Waves : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Tasks_BatchId_Status_QueueReason_Id",
                table: "Tasks");

            migrationBuilder.AddColumn<int>(
                name: "Wave",
                table: "Tasks",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "CurrentWave",
                table: "Batches",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Waves",
                table: "Batches",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_BatchId_Status_QueueReason_Wave_Id",
                table: "Tasks",
                columns: new[] { "BatchId", "Status", "QueueReason", "Wave", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Tasks_BatchId_Status_QueueReason_Wave_Id",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "Wave",
                table: "Tasks");

            migrationBuilder.DropColumn(
                name: "CurrentWave",
                table: "Batches");

            migrationBuilder.DropColumn(
                name: "Waves",
                table: "Batches");

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_BatchId_Status_QueueReason_Id",
                table: "Tasks",
                columns: new[] { "BatchId", "Status", "QueueReason", "Id" });
        }
    }
}
