using System.Buffers;

namespace ZkFire.Xmpp.Xml;

public enum XmppStreamEventKind
{
    /// <summary>The <c>&lt;stream:stream&gt;</c> open tag; <see cref="XmppStreamEvent.Element"/> holds its attributes.</summary>
    StreamOpen,

    /// <summary>A complete top-level element (stanza or nonza such as <c>&lt;starttls/&gt;</c>).</summary>
    Element,

    /// <summary><c>&lt;/stream:stream&gt;</c>.</summary>
    StreamClose,
}

public readonly record struct XmppStreamEvent(XmppStreamEventKind Kind, Element? Element);

/// <summary>
/// Incremental parser of one XMPP stream (RFC 6120 §4, §11): no DOM of the stream, only of the top-level
/// element being read. Refuses DTDs, entity declarations, comments and processing instructions
/// (<c>restricted-xml</c>) and enforces <see cref="XmlLimits"/> (<c>policy-violation</c>).
/// </summary>
/// <remarks>
/// <para>Choices the RFC leaves open: CDATA sections inside stanzas are accepted and read as text; character
/// data at stream level other than whitespace is <c>bad-format</c>; a first element outside the streams namespace
/// is <c>invalid-namespace</c>, one inside it but not named <c>stream</c> is <c>not-well-formed</c>; whitespace
/// is tolerated before the XML declaration. The content namespace is not checked: that is the caller's business
/// (<see cref="ContentNamespace"/>).</para>
/// <para>After an <see cref="XmlStreamException"/> the stream is dead; the parser's state is unspecified until
/// <see cref="Reset"/>. Not thread-safe: one parser per connection.</para>
/// </remarks>
public sealed class XmppStreamParser
{
    private readonly XmlLimits _limits;
    private readonly XmlTreeReader _reader;
    private MarkupScanner _scanner;
    private StreamState _state;
    private UnitKind _unit;
    private long _scanned;
    private bool _closePending;

    public XmppStreamParser(XmlLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
        _reader = new XmlTreeReader(limits);
    }

    private enum StreamState : byte
    {
        /// <summary>Nothing read yet: an XML declaration or the header may come.</summary>
        Start,

        /// <summary>After the XML declaration: the header must come.</summary>
        Prolog,

        Open,
        Closed,
    }

    /// <summary>The default namespace declared on the stream header (<c>jabber:client</c> for c2s).</summary>
    public string? ContentNamespace { get; private set; }

    /// <summary>
    /// Reads the next event, advancing <paramref name="buffer"/> past the bytes it consumed. Returns false when
    /// more bytes are needed; throws <see cref="XmlStreamException"/> when the peer broke the stream.
    /// </summary>
    /// <remarks>
    /// On false the buffer has still been advanced past any whitespace (keepalives), and the unconsumed rest must
    /// be passed again, with more bytes appended, on the next call: how far it was scanned is remembered, so a large
    /// stanza arriving in pieces is not rescanned from its start each time.
    /// </remarks>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out XmppStreamEvent evt)
    {
        while (true)
        {
            if (_closePending)
            {
                _closePending = false;
                _state = StreamState.Closed;
                evt = new XmppStreamEvent(XmppStreamEventKind.StreamClose, null);
                return true;
            }

            // A unit never starts with whitespace, so skipping it is right whether or not one is pending.
            SkipWhitespace(ref buffer);
            if (_unit == UnitKind.None && !TryBeginUnit(buffer))
            {
                evt = default;
                return false;
            }

            long length = ScanUnit(buffer);
            if (length < 0)
            {
                evt = default;
                return false;
            }

            var unit = buffer.Slice(0, length);
            var kind = _unit;
            _unit = UnitKind.None;
            _scanned = 0;
            var element = Complete(kind, unit);
            buffer = buffer.Slice(length);
            if (kind != UnitKind.Declaration)
            {
                evt = new XmppStreamEvent(
                    kind switch
                    {
                        UnitKind.Header => XmppStreamEventKind.StreamOpen,
                        UnitKind.Element => XmppStreamEventKind.Element,
                        _ => XmppStreamEventKind.StreamClose,
                    },
                    element);
                return true;
            }
        }
    }

    /// <summary>Forgets the current stream: after STARTTLS or SASL success a new stream header is expected.</summary>
    public void Reset()
    {
        _state = StreamState.Start;
        _unit = UnitKind.None;
        _scanned = 0;
        _closePending = false;
        ContentNamespace = null;
        _reader.ResetStream();
    }

    private static void SkipWhitespace(ref ReadOnlySequence<byte> buffer)
    {
        long skipped = 0;
        foreach (var segment in buffer)
        {
            int k = segment.Span.IndexOfAnyExcept(XmlChars.Whitespace);
            if (k >= 0)
            {
                skipped += k;
                break;
            }

            skipped += segment.Length;
        }

        if (skipped > 0)
        {
            buffer = buffer.Slice(skipped);
        }
    }

    /// <summary>Classifies the unit starting the buffer from its first two bytes, refusing what may not appear here.</summary>
    private bool TryBeginUnit(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[2];
        int n = (int)Math.Min(buffer.Length, 2);
        buffer.Slice(0, n).CopyTo(head);
        if (head[0] != '<')
        {
            ThrowUnexpectedText();
        }

        if (_state == StreamState.Closed)
        {
            ThrowHelper.NotWellFormed("Data after the end of the stream.");
        }

        if (n < 2)
        {
            return false;
        }

        bool open = _state == StreamState.Open;
        _unit = head[1] switch
        {
            (byte)'?' when _state == StreamState.Start => UnitKind.Declaration,
            (byte)'?' => ThrowHelper.StreamError<UnitKind>(StreamConditions.RestrictedXml, "Processing instructions are not allowed."),
            (byte)'!' => ThrowHelper.StreamError<UnitKind>(StreamConditions.RestrictedXml, "Comments, DTDs and declarations are not allowed."),
            (byte)'/' when open => UnitKind.StreamEnd,
            (byte)'/' => ThrowHelper.NotWellFormed<UnitKind>("End tag before the stream header."),
            _ => open ? UnitKind.Element : UnitKind.Header,
        };
        _scanner.Start(_unit);
        return true;
    }

    private void ThrowUnexpectedText()
    {
        if (_state == StreamState.Open)
        {
            ThrowHelper.StreamError(StreamConditions.BadFormat, "Character data between stanzas.");
        }

        ThrowHelper.NotWellFormed(_state == StreamState.Closed ? "Data after the end of the stream." : "Data before the stream header.");
    }

    /// <summary>Resumes scanning the pending unit; returns its length once complete, else -1.</summary>
    private long ScanUnit(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < _scanned)
        {
            throw new InvalidOperationException("TryRead must be given the unconsumed bytes of the previous call again.");
        }

        long limit = Math.Min(buffer.Length, _limits.MaxStanzaBytes);
        if (_scanned < limit)
        {
            long offset = _scanned;
            foreach (var segment in buffer.Slice(_scanned, limit - _scanned))
            {
                int end = _scanner.Scan(segment.Span, _limits.MaxDepth);
                if (end >= 0)
                {
                    return offset + end;
                }

                offset += segment.Length;
            }

            _scanned = offset;
        }

        if (buffer.Length > _limits.MaxStanzaBytes)
        {
            ThrowHelper.PolicyViolation($"Top-level element larger than {_limits.MaxStanzaBytes} bytes.");
        }

        return -1;
    }

    private Element? Complete(UnitKind kind, in ReadOnlySequence<byte> unit)
    {
        if (unit.IsSingleSegment)
        {
            return Complete(kind, unit.FirstSpan);
        }

        int length = (int)unit.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            unit.CopyTo(rented);
            return Complete(kind, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private Element? Complete(UnitKind kind, ReadOnlySpan<byte> data)
    {
        switch (kind)
        {
            case UnitKind.Declaration:
                XmlTreeReader.ReadDeclaration(data);
                _state = StreamState.Prolog;
                return null;
            case UnitKind.Header:
                var header = _reader.ReadHeader(data, out bool empty, out string? contentNamespace);
                ContentNamespace = contentNamespace;
                _state = StreamState.Open;
                _closePending = empty;
                return header;
            case UnitKind.Element:
                return _reader.ReadElement(data);
            default:
                _reader.ReadStreamEnd(data);
                _state = StreamState.Closed;
                return null;
        }
    }
}
