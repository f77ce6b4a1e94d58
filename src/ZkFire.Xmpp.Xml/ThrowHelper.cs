using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ZkFire.Xmpp.Xml;

/// <summary>RFC 6120 §4.9.3 stream-error conditions the parser raises.</summary>
internal static class StreamConditions
{
    public const string NotWellFormed = "not-well-formed";
    public const string RestrictedXml = "restricted-xml";
    public const string PolicyViolation = "policy-violation";
    public const string InvalidNamespace = "invalid-namespace";
    public const string BadFormat = "bad-format";
    public const string UnsupportedEncoding = "unsupported-encoding";
}

/// <summary>Throw sites kept out of line so the hot parsing loops stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void NotWellFormed(string message) =>
        throw new XmlStreamException(StreamConditions.NotWellFormed, message);

    /// <summary>For call sites that must produce a value on the (never taken) fall-through path.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static T NotWellFormed<T>(string message) =>
        throw new XmlStreamException(StreamConditions.NotWellFormed, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void RestrictedXml(string message) =>
        throw new XmlStreamException(StreamConditions.RestrictedXml, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void PolicyViolation(string message) =>
        throw new XmlStreamException(StreamConditions.PolicyViolation, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void StreamError(string condition, string message) =>
        throw new XmlStreamException(condition, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static T StreamError<T>(string condition, string message) =>
        throw new XmlStreamException(condition, message);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void UnexpectedEnd() => NotWellFormed("Unexpected end of element.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void InvalidUtf8() => NotWellFormed("Invalid UTF-8.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void IllegalCharacter() => NotWellFormed("Character not allowed in XML.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Expected(char c) => NotWellFormed($"Expected '{c}'.");
}
