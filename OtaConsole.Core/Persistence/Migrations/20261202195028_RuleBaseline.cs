using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RuleBaseline : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "RuleBaseline",
                table: "Batches",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "RuleBaseline",
                table: "Batches");
        }
    }
}
