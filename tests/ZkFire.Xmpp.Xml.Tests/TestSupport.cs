using System.Buffers;
using System.Text;

namespace ZkFire.Xmpp.Xml.Tests;

internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

    public Segment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
        Next = next;
        return next;
    }
}

/// <summary>Drives a parser the way a PipeReader loop does: unconsumed bytes come back with the new ones appended,
/// each received chunk being its own segment.</summary>
internal static class Feed
{
    public const string Header =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " +
        "to='example.com' version='1.0' xml:lang='en'>";

    /// <summary>A header with two attributes and no name longer than 13 bytes, in under 100 bytes: fits tight test limits.</summary>
    public const string SmallHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    public static readonly XmlLimits DefaultLimits = new();

    public static ReadOnlySequence<byte> Sequence(IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        if (parts.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0]);
        var last = first;
        for (int i = 1; i < parts.Count; i++)
        {
            last = last.Append(parts[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static ReadOnlySequence<byte> Sequence(params string[] parts) =>
        Sequence(parts.Select(p => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(p)).ToList());

    /// <summary>Feeds the chunks in turn and returns every event produced.</summary>
    public static List<XmppStreamEvent> Chunks(XmppStreamParser parser, IEnumerable<byte[]> chunks)
    {
        var events = new List<XmppStreamEvent>();
        var pending = new List<ReadOnlyMemory<byte>>();
        foreach (var chunk in chunks)
        {
            pending.Add(chunk);
            var buffer = Sequence(pending);
            while (parser.TryRead(ref buffer, out var evt))
            {
                events.Add(evt);
            }

            pending.Clear();
            foreach (var memory in buffer)
            {
                if (!memory.IsEmpty)
                {
                    pending.Add(memory);
                }
            }
        }

        return events;
    }

    public static List<XmppStreamEvent> All(string xml, XmlLimits? limits = null) =>
        Chunks(new XmppStreamParser(limits ?? DefaultLimits), [Encoding.UTF8.GetBytes(xml)]);

    public static List<XmppStreamEvent> Bytes(byte[] xml, XmlLimits? limits = null) =>
        Chunks(new XmppStreamParser(limits ?? DefaultLimits), [xml]);

    /// <summary>Parses one stanza sent after the standard header.</summary>
    public static Element Stanza(string stanza, XmlLimits? limits = null)
    {
        var events = All((limits is null ? Header : SmallHeader) + stanza, limits);
        Assert.Equal(2, events.Count);
        Assert.Equal(XmppStreamEventKind.Element, events[1].Kind);
        return events[1].Element!;
    }

    public static IEnumerable<byte[]> Split(byte[] data, IEnumerable<int> sizes)
    {
        int pos = 0;
        foreach (int size in sizes)
        {
            if (pos >= data.Length)
            {
                yield break;
            }

            int n = Math.Min(size, data.Length - pos);
            yield return data[pos..(pos + n)];
            pos += n;
        }

        if (pos < data.Length)
        {
            yield return data[pos..];
        }
    }
}

internal static class XmlAssert
{
    public static XmlStreamException Fails(string condition, Action action)
    {
        var e = Assert.Throws<XmlStreamException>(action);
        Assert.Equal(condition, e.Condition);
        return e;
    }

    public static XmlStreamException Fails(string condition, string xml, XmlLimits? limits = null) =>
        Fails(condition, () => Feed.All(xml, limits));

    public static XmlStreamException StanzaFails(string condition, string stanza, XmlLimits? limits = null) =>
        Fails(condition, (limits is null ? Feed.Header : Feed.SmallHeader) + stanza, limits);

    /// <summary>Structural equality; attribute order matters unless <paramref name="anyAttributeOrder"/>.</summary>
    public static void Equal(Element expected, Element actual, bool anyAttributeOrder = false)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Namespace, actual.Namespace);
        if (anyAttributeOrder)
        {
            Assert.Equal(expected.Attributes.OrderBy(a => a.Name, StringComparer.Ordinal), actual.Attributes.OrderBy(a => a.Name, StringComparer.Ordinal));
        }
        else
        {
            Assert.Equal(expected.Attributes, actual.Attributes);
        }

        Assert.Equal(expected.Children.Count, actual.Children.Count);
        for (int i = 0; i < expected.Children.Count; i++)
        {
            switch (expected.Children[i])
            {
                case Element e:
                    Equal(e, Assert.IsType<Element>(actual.Children[i]), anyAttributeOrder);
                    break;
                case TextNode t:
                    Assert.Equal(t.Value, Assert.IsType<TextNode>(actual.Children[i]).Value);
                    break;
            }
        }
    }
}
