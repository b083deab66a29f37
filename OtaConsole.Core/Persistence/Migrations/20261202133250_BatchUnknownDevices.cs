using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class BatchUnknownDevices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BatchUnknownDevices",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BatchId = table.Column<string>(type: "TEXT", nullable: false),
                    DeviceName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BatchUnknownDevices", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BatchUnknownDevices_BatchId_Id",
                table: "BatchUnknownDevices",
                columns: new[] { "BatchId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BatchUnknownDevices");
        }
    }
}
