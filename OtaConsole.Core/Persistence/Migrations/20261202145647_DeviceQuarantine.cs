using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DeviceQuarantine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "QuarantineReason",
                table: "Devices",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "QuarantinedUntil",
                table: "Devices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_QuarantinedUntil",
                table: "Devices",
                column: "QuarantinedUntil",
                filter: "\"QuarantinedUntil\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Devices_QuarantinedUntil",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "QuarantineReason",
                table: "Devices");

            migrationBuilder.DropColumn(
                name: "QuarantinedUntil",
                table: "Devices");
        }
    }
}
