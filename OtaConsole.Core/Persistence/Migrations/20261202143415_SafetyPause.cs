using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SafetyPause : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "FailureRules",
                table: "Batches",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PauseReason",
                table: "Batches",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PausedAt",
                table: "Batches",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FailureRules",
                table: "Batches");

            migrationBuilder.DropColumn(
                name: "PauseReason",
                table: "Batches");

            migrationBuilder.DropColumn(
                name: "PausedAt",
                table: "Batches");
        }
    }
}
