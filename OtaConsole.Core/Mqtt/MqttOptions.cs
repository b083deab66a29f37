namespace OtaConsole.Core.Mqtt;

public enum MqttMode
{
    /// <summary>OtaConsole hosts the broker devices connect to, and checks their Alibaba sign-in itself.</summary>
    Embedded,
    /// <summary>OtaConsole is a client of an existing broker (EMQX, HiveMQ, mosquitto), which owns sign-in and topic rules.</summary>
    External,
}

/// <summary>The "Ota:Mqtt" section.</summary>
public sealed class MqttOptions
{
    public const string Section = "Ota:Mqtt";

    public MqttMode Mode { get; set; } = MqttMode.Embedded;

    /// <summary>Embedded: the plain-TCP port devices connect to (securemode=3); 0 turns it off. External: the broker's port.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Embedded: the TLS port (securemode=2, Alibaba's default); 0 turns it off.</summary>
    public int TlsPort { get; set; } = 8883;

    /// <summary>The TLS certificate; without one the console makes its own CA and server certificate in the data folder.</summary>
    public CertificateOptions Certificate { get; set; } = new();

    /// <summary>External: connect to the broker over TLS (trusting the system's roots, or Certificate:CaPath).</summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// Embedded: listen on ports the operating system picks instead of Port and TlsPort (each one that is not 0),
    /// for tests and trial consoles side by side; the ports taken are logged.
    /// </summary>
    public bool EphemeralPorts { get; set; }

    /// <summary>Embedded: the address to listen on ("*" for all). External: the broker's host name.</summary>
    public string Host { get; set; } = "*";

    /// <summary>
    /// External with EMQX: the bearer token EMQX sends to the console's sign-in and topic hooks
    /// (/mqtt/emqx/authenticate, /mqtt/emqx/authorize). Empty: the hooks are off (404).
    /// </summary>
    public string? EmqxHookToken { get; set; }

    /// <summary>External: credentials of the console's own connection.</summary>
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>External: MQTT 5 (with shared subscriptions) or 3.1.1.</summary>
    public bool UseMqtt5 { get; set; } = true;

    /// <summary>External, MQTT 5: the shared-subscription group several consoles join to split device traffic.</summary>
    public string SharedGroup { get; set; } = "otaconsole";

    /// <summary>External: this console's client id (unique per console instance).</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// External: topic filter of the broker's client connect/disconnect events, EMQX style
    /// ($SYS/brokers/{node}/clients/{clientid}/connected|disconnected, JSON with "username"). Empty: none;
    /// devices are then marked online by their messages.
    /// </summary>
    public string? PresenceTopicFilter { get; set; } = "$SYS/brokers/+/clients/+/+";
}

/// <summary>Ota:Mqtt:Certificate: a PEM certificate with its PEM key, or a PFX with its password.</summary>
public sealed class CertificateOptions
{
    /// <summary>A .pem/.crt (with KeyPath) or a .pfx/.p12 file.</summary>
    public string? Path { get; set; }
    /// <summary>The PEM private key of a PEM certificate (it may also be in the certificate's own file).</summary>
    public string? KeyPath { get; set; }
    /// <summary>The PFX's password, or the PEM key's when it is encrypted.</summary>
    public string? Password { get; set; }
    /// <summary>External with UseTls: a CA to trust for the broker's certificate (PEM), besides the system's.</summary>
    public string? CaPath { get; set; }
}

/// <summary>What readiness and metrics read of the broker, embedded or external.</summary>
public interface IBrokerStatus
{
    /// <summary>Null when devices can reach the console through the broker; otherwise why not.</summary>
    string? NotReadyBecause { get; }

    /// <summary>Devices connected right now, where the console holds their connections (embedded); null otherwise.</summary>
    int? ConnectedDevices { get; }
}
