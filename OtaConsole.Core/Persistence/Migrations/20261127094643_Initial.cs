using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OtaConsole.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Batches",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    PackageId = table.Column<string>(type: "TEXT", nullable: false),
                    ProductKey = table.Column<string>(type: "TEXT", nullable: false),
                    ModuleName = table.Column<string>(type: "TEXT", nullable: false),
                    DestVersion = table.Column<string>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: true),
                    Description = table.Column<string>(type: "TEXT", nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Selection = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Target = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DynamicMode = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    GrayPercent = table.Column<string>(type: "TEXT", nullable: true),
                    GroupId = table.Column<string>(type: "TEXT", nullable: true),
                    SrcVersions = table.Column<string>(type: "TEXT", nullable: false),
                    ScheduleTime = table.Column<long>(type: "INTEGER", nullable: true),
                    ScheduleFinishTime = table.Column<long>(type: "INTEGER", nullable: true),
                    RetryIntervalMinutes = table.Column<int>(type: "INTEGER", nullable: true),
                    RetryCount = table.Column<int>(type: "INTEGER", nullable: true),
                    TimeoutMinutes = table.Column<int>(type: "INTEGER", nullable: true),
                    OverwriteMode = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    MultiModuleMode = table.Column<bool>(type: "INTEGER", nullable: false),
                    NeedPush = table.Column<bool>(type: "INTEGER", nullable: false),
                    NeedConfirm = table.Column<bool>(type: "INTEGER", nullable: false),
                    DownloadProtocol = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ModifiedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    PushedCount = table.Column<int>(type: "INTEGER", nullable: false),
                    RateSegmentStart = table.Column<long>(type: "INTEGER", nullable: false),
                    RateSegmentPushed = table.Column<long>(type: "INTEGER", nullable: false),
                    RateSegmentPerMinute = table.Column<int>(type: "INTEGER", nullable: false),
                    EditVersion = table.Column<int>(type: "INTEGER", nullable: false),
                    Counts_Canceled = table.Column<int>(type: "INTEGER", nullable: false),
                    Counts_Confirm = table.Column<int>(type: "INTEGER", nullable: false),
                    Counts_Failed = table.Column<int>(type: "INTEGER", nullable: false),
                    Counts_InProgress = table.Column<int>(type: "INTEGER", nullable: false),
                    Counts_Notified = table.Column<int>(type: "INTEGER", nullable: false),
                    Counts_Queued = table.Column<int>(type: "INTEGER", nullable: false),
                    Counts_Succeeded = table.Column<int>(type: "INTEGER", nullable: false),
                    PushRate_Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    PushRate_PerMinute = table.Column<int>(type: "INTEGER", nullable: false),
                    PushRate_RampBase = table.Column<int>(type: "INTEGER", nullable: true),
                    PushRate_RampCriterion = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    PushRate_RampFactor = table.Column<double>(type: "REAL", nullable: true),
                    PushRate_RampStep = table.Column<int>(type: "INTEGER", nullable: true),
                    Tags = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Batches", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DeviceGroups",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GroupId = table.Column<string>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    ParentGroupId = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceGroups", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Devices",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    IotId = table.Column<string>(type: "TEXT", nullable: false),
                    ProductKey = table.Column<string>(type: "TEXT", nullable: false),
                    DeviceName = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DeviceSecret = table.Column<string>(type: "TEXT", nullable: false),
                    GroupId = table.Column<string>(type: "TEXT", nullable: true),
                    Nickname = table.Column<string>(type: "TEXT", nullable: true),
                    IsOnline = table.Column<bool>(type: "INTEGER", nullable: false),
                    LastSeenAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Devices", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Packages",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ProductKey = table.Column<string>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    DestVersion = table.Column<string>(type: "TEXT", nullable: false),
                    SrcVersion = table.Column<string>(type: "TEXT", nullable: true),
                    Type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ModuleName = table.Column<string>(type: "TEXT", nullable: false),
                    SignMethod = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Description = table.Column<string>(type: "TEXT", nullable: true),
                    NeedToVerify = table.Column<bool>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    VerifyProgress = table.Column<int>(type: "INTEGER", nullable: false),
                    Udi = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ModifiedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Packages", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Products",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProductKey = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Description = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Products", x => x.Id);
                    table.UniqueConstraint("AK_Products_ProductKey", x => x.ProductKey);
                });

            migrationBuilder.CreateTable(
                name: "TaskEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TaskId = table.Column<long>(type: "INTEGER", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    FromStatus = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    ToStatus = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    Detail = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TaskEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Tasks",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BatchId = table.Column<string>(type: "TEXT", nullable: false),
                    PackageId = table.Column<string>(type: "TEXT", nullable: false),
                    DeviceId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProductKey = table.Column<string>(type: "TEXT", nullable: false),
                    DeviceName = table.Column<string>(type: "TEXT", nullable: false),
                    ModuleName = table.Column<string>(type: "TEXT", nullable: false),
                    SrcVersion = table.Column<string>(type: "TEXT", nullable: true),
                    DestVersion = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    QueueReason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Progress = table.Column<int>(type: "INTEGER", nullable: false),
                    FailureCode = table.Column<string>(type: "TEXT", nullable: true),
                    FailureReason = table.Column<string>(type: "TEXT", nullable: true),
                    RetryAttempts = table.Column<int>(type: "INTEGER", nullable: false),
                    TimeoutMinutes = table.Column<int>(type: "INTEGER", nullable: true),
                    RetryIntervalMinutes = table.Column<int>(type: "INTEGER", nullable: true),
                    RetryCount = table.Column<int>(type: "INTEGER", nullable: true),
                    RetryDueAt = table.Column<long>(type: "INTEGER", nullable: true),
                    TimeoutAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    PushedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FirstProgressAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ModifiedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Tasks", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DeviceVersions",
                columns: table => new
                {
                    DeviceId = table.Column<long>(type: "INTEGER", nullable: false),
                    ModuleName = table.Column<string>(type: "TEXT", nullable: false),
                    Version = table.Column<string>(type: "TEXT", nullable: false),
                    ReportedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DeviceVersions", x => new { x.DeviceId, x.ModuleName });
                    table.ForeignKey(
                        name: "FK_DeviceVersions_Devices_DeviceId",
                        column: x => x.DeviceId,
                        principalTable: "Devices",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PackageFiles",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PackageId = table.Column<string>(type: "TEXT", nullable: false),
                    Index = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    Md5 = table.Column<string>(type: "TEXT", nullable: false),
                    Sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    Sign = table.Column<string>(type: "TEXT", nullable: false),
                    StoragePath = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PackageFiles", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PackageFiles_Packages_PackageId",
                        column: x => x.PackageId,
                        principalTable: "Packages",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Modules",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProductKey = table.Column<string>(type: "TEXT", nullable: false),
                    ModuleName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AliasName = table.Column<string>(type: "TEXT", nullable: true),
                    Description = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ModifiedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Modules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Modules_Products_ProductKey",
                        column: x => x.ProductKey,
                        principalTable: "Products",
                        principalColumn: "ProductKey",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Batches_PackageId",
                table: "Batches",
                column: "PackageId");

            migrationBuilder.CreateIndex(
                name: "IX_Batches_Status",
                table: "Batches",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_DeviceGroups_GroupId",
                table: "DeviceGroups",
                column: "GroupId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_GroupId",
                table: "Devices",
                column: "GroupId");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_IotId",
                table: "Devices",
                column: "IotId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Devices_ProductKey_DeviceName",
                table: "Devices",
                columns: new[] { "ProductKey", "DeviceName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DeviceVersions_ModuleName_Version",
                table: "DeviceVersions",
                columns: new[] { "ModuleName", "Version" });

            migrationBuilder.CreateIndex(
                name: "IX_Modules_ProductKey_ModuleName",
                table: "Modules",
                columns: new[] { "ProductKey", "ModuleName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PackageFiles_PackageId_Index",
                table: "PackageFiles",
                columns: new[] { "PackageId", "Index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Packages_Name",
                table: "Packages",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Packages_ProductKey",
                table: "Packages",
                column: "ProductKey");

            migrationBuilder.CreateIndex(
                name: "IX_Products_ProductKey",
                table: "Products",
                column: "ProductKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TaskEvents_TaskId_Id",
                table: "TaskEvents",
                columns: new[] { "TaskId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_BatchId_DeviceName",
                table: "Tasks",
                columns: new[] { "BatchId", "DeviceName" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_BatchId_ModifiedAt",
                table: "Tasks",
                columns: new[] { "BatchId", "ModifiedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_BatchId_Status_QueueReason_Id",
                table: "Tasks",
                columns: new[] { "BatchId", "Status", "QueueReason", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_DeviceId_Status",
                table: "Tasks",
                columns: new[] { "DeviceId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_PackageId_DeviceId",
                table: "Tasks",
                columns: new[] { "PackageId", "DeviceId" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_ProductKey_Status",
                table: "Tasks",
                columns: new[] { "ProductKey", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_RetryDueAt",
                table: "Tasks",
                column: "RetryDueAt",
                filter: "\"RetryDueAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Tasks_TimeoutAt",
                table: "Tasks",
                column: "TimeoutAt",
                filter: "\"TimeoutAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Batches");

            migrationBuilder.DropTable(
                name: "DeviceGroups");

            migrationBuilder.DropTable(
                name: "DeviceVersions");

            migrationBuilder.DropTable(
                name: "Modules");

            migrationBuilder.DropTable(
                name: "PackageFiles");

            migrationBuilder.DropTable(
                name: "TaskEvents");

            migrationBuilder.DropTable(
                name: "Tasks");

            migrationBuilder.DropTable(
                name: "Devices");

            migrationBuilder.DropTable(
                name: "Products");

            migrationBuilder.DropTable(
                name: "Packages");
        }
    }
}
