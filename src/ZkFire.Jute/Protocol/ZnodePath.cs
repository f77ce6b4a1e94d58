using System.Globalization;

namespace ZkFire.Jute;

/// <summary>
/// Znode path rules of ZooKeeper's PathUtils, and the small path arithmetic servers and clients both need.
/// </summary>
public static class ZnodePath
{
    public const string Root = "/";

    /// <summary>
    /// Why ZooKeeper would refuse <paramref name="path"/>, in PathUtils' words, or null when it is valid.
    /// With <paramref name="sequential"/> the path is the prefix of a sequential create, which may end in '/'
    /// because the server appends the counter (so <c>/parent/</c> names <c>/parent/0000000000</c>).
    /// </summary>
    public static string? Validate(string? path, bool sequential = false)
    {
        if (path is null)
        {
            return "Path cannot be null";
        }

        // PathUtils validates the prefix with a digit appended, so its messages show that digit too.
        return ValidateCore(sequential ? path + "1" : path);
    }

    /// <exception cref="ArgumentException">The path is invalid; the message is PathUtils' reason.</exception>
    public static void ThrowIfInvalid(string? path, bool sequential = false)
    {
        if (Validate(path, sequential) is { } reason)
        {
            throw new ArgumentException(reason, nameof(path));
        }
    }

    /// <summary>The parent of a valid path: <c>/a/b</c> → <c>/a</c>, <c>/a</c> → <c>/</c>; null for the root.</summary>
    public static string? Parent(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var slash = path.LastIndexOf('/');
        return path.Length <= 1 ? null : slash <= 0 ? Root : path[..slash];
    }

    /// <summary>The last component of a valid path: <c>/a/b</c> → <c>b</c>; empty for the root.</summary>
    public static string Name(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path[(path.LastIndexOf('/') + 1)..];
    }

    /// <summary><c>/</c> + <c>a</c> → <c>/a</c>; <c>/a</c> + <c>b</c> → <c>/a/b</c>.</summary>
    public static string Join(string parent, string name)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(name);
        return parent.EndsWith('/') ? parent + name : string.Concat(parent, "/", name);
    }

    /// <summary>
    /// The name a sequential create gets: the prefix followed by the counter formatted as Java's <c>%010d</c>
    /// (ten digits zero-padded, the sign counting towards the width once the counter has wrapped negative).
    /// </summary>
    public static string AppendSequence(string prefix, int counter)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var suffix = counter >= 0
            ? counter.ToString("D10", CultureInfo.InvariantCulture)
            : "-" + (-(long)counter).ToString("D9", CultureInfo.InvariantCulture);
        return prefix + suffix;
    }

    private static string? ValidateCore(string path)
    {
        if (path.Length == 0)
        {
            return "Path length must be > 0";
        }

        if (path[0] != '/')
        {
            return "Path must start with / character";
        }

        if (path.Length == 1)
        {
            return null;
        }

        if (path[^1] == '/')
        {
            return "Path must not end with / character";
        }

        var previous = '/';
        for (var i = 1; i < path.Length; previous = path[i], i++)
        {
            var c = path[i];
            string? reason = c switch
            {
                '\0' => "null character not allowed",
                '/' when previous == '/' => "empty node name specified",
                '.' when IsRelativeComponent(path, previous == '.' ? i - 1 : i, i) => "relative paths not allowed",
                '.' => null,
                _ when IsForbidden(c) => "invalid character",
                _ => null,
            };
            if (reason is not null)
            {
                return $"Invalid path string \"{path}\" caused by {reason} @{i}";
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the dots from <paramref name="first"/> to <paramref name="last"/> are a whole component
    /// ("." or ".."). A '.' after a '.' that is not itself the start of a component is a plain name character.
    /// </summary>
    private static bool IsRelativeComponent(string path, int first, int last) =>
        path[first - 1] == '/' && (last + 1 == path.Length || path[last + 1] == '/');

    private static bool IsForbidden(char c) =>
        c is (> '\u0000' and <= '\u001f') or (>= '\u007f' and <= '\u009f') or (>= '\ud800' and <= '\uf8ff') or >= '\ufff0';
}
