namespace ZkFire.Configuration;

/// <summary>cluster.xml cannot be used; the message names the file, the line and the element.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException() { }

    public ConfigurationException(string message) : base(message) { }

    public ConfigurationException(string message, Exception innerException) : base(message, innerException) { }
}
