using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>Compares two scenario documents and explains a mismatch in terms of steps and JSON paths.</summary>
public static class DocumentComparison
{
    private const int MaxDifferences = 30;

    private static readonly JsonSerializerOptions Compact = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Every place where <paramref name="actual"/> differs from <paramref name="expected"/>, as "path: expected … actual …".</summary>
    public static IReadOnlyList<string> Differences(JsonNode? expected, JsonNode? actual)
    {
        var differences = new List<string>();
        Walk("$", expected, actual, differences);
        return differences;
    }

    /// <summary>Fails with a readable diff unless both documents are equal.</summary>
    public static void AssertSame(string expectedName, JsonNode? expected, string actualName, JsonNode? actual)
    {
        var differences = Differences(expected, actual);
        if (differences.Count == 0)
        {
            return;
        }

        var message = new StringBuilder()
            .Append(differences.Count).Append(" difference(s) between ").Append(expectedName).Append(" (expected) and ")
            .Append(actualName).Append(" (actual):\n");
        foreach (var difference in differences.Take(MaxDifferences))
        {
            message.Append("  ").Append(difference).Append('\n');
        }

        if (differences.Count > MaxDifferences)
        {
            message.Append("  ... and ").Append(differences.Count - MaxDifferences).Append(" more\n");
        }

        // The whole step reads better than a path into it: show each differing step from both sides.
        var steps = differences
            .Select(d => d.StartsWith("$.steps[", StringComparison.Ordinal) ? d["$.steps[".Length..d.IndexOf(']', StringComparison.Ordinal)] : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Select(index => int.Parse(index, System.Globalization.CultureInfo.InvariantCulture))
            .Take(10);
        foreach (var index in steps)
        {
            message.Append("\nstep ").Append(index).Append(":\n  ").Append(expectedName).Append(": ")
                .Append(Render(expected?["steps"]?.AsArray().ElementAtOrDefault(index))).Append("\n  ")
                .Append(actualName).Append(": ").Append(Render(actual?["steps"]?.AsArray().ElementAtOrDefault(index))).Append('\n');
        }

        Assert.Fail(message.ToString());
    }

    public static string Render(JsonNode? node) => node is null ? "(none)" : node.ToJsonString(Compact);

    private static void Walk(string path, JsonNode? expected, JsonNode? actual, List<string> differences)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var (key, value) in e)
                {
                    if (a.ContainsKey(key))
                    {
                        Walk($"{path}.{key}", value, a[key], differences);
                    }
                    else
                    {
                        differences.Add($"{path}.{key}: expected {Render(value)}, actual has no '{key}'");
                    }
                }

                foreach (var (key, value) in a.Where(p => !e.ContainsKey(p.Key)))
                {
                    differences.Add($"{path}.{key}: not expected, actual {Render(value)}");
                }

                break;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                {
                    if (i >= e.Count)
                    {
                        differences.Add($"{path}[{i}]: not expected, actual {Render(a[i])}");
                    }
                    else if (i >= a.Count)
                    {
                        differences.Add($"{path}[{i}]: expected {Render(e[i])}, actual has only {a.Count} item(s)");
                    }
                    else
                    {
                        Walk($"{path}[{i}]", e[i], a[i], differences);
                    }
                }

                break;
            default:
                if (!JsonNode.DeepEquals(expected, actual))
                {
                    differences.Add($"{path}: expected {Render(expected)}, actual {Render(actual)}");
                }

                break;
        }
    }
}
