using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OtaConsole.Core.Webhooks;

internal sealed class WebhookSubscriptionConfiguration : IEntityTypeConfiguration<WebhookSubscription>
{
    public void Configure(EntityTypeBuilder<WebhookSubscription> b)
    {
        b.ToTable("WebhookSubscriptions");
        b.HasIndex(s => s.Name).IsUnique();
        b.Property(s => s.Name).HasMaxLength(WebhookRules.MaxNameLength);
        b.Property(s => s.Url).HasMaxLength(WebhookRules.MaxUrlLength);
        b.Property(s => s.Secret).HasMaxLength(2000);
        b.Property(s => s.EventTypes).HasMaxLength(2000);
        b.Property(s => s.ProductKey).HasMaxLength(64);
        b.Property(s => s.DisabledReason).HasMaxLength(500);
    }
}

internal sealed class OutboxEventConfiguration : IEntityTypeConfiguration<OutboxEvent>
{
    public void Configure(EntityTypeBuilder<OutboxEvent> b)
    {
        b.ToTable("OutboxEvents");
        b.Property(e => e.Type).HasMaxLength(100);
        b.Property(e => e.Subject).HasMaxLength(100);
        b.Property(e => e.ProductKey).HasMaxLength(64);
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("WebhookDeliveries");
        b.HasIndex(d => d.DeliveryId).IsUnique();
        // The dispatcher's question per subscription: its oldest pending delivery; and the log, newest first.
        b.HasIndex(d => new { d.SubscriptionId, d.Status, d.Id });
        b.Property(d => d.DeliveryId).HasMaxLength(64);
        b.Property(d => d.Type).HasMaxLength(100);
        b.Property(d => d.ContentType).HasMaxLength(100);
        b.Property(d => d.LastError).HasMaxLength(1000);
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> b)
    {
        b.ToTable("WebhookAttempts");
        b.HasIndex(a => new { a.DeliveryId, a.Id });
        b.Property(a => a.Error).HasMaxLength(1000);
        b.Property(a => a.ResponseStart).HasMaxLength(WebhookRules.ResponseStartLength);
    }
}
