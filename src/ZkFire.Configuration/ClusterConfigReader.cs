using Microsoft.Extensions.Logging;

namespace ZkFire.Configuration;

/// <summary>Reads cluster.xml. Unknown elements are logged as warnings; invalid values throw <see cref="ConfigurationException"/>.</summary>
public static class ClusterConfigReader
{
    public static ClusterConfig Load(string path, ILogger logger) => throw new NotImplementedException();

    /// <summary>Parses text; <paramref name="sourcePath"/> names the file in errors and anchors relative paths.</summary>
    public static ClusterConfig Parse(string xml, string sourcePath, ILogger logger) => throw new NotImplementedException();
}
