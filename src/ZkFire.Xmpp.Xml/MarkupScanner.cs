namespace ZkFire.Xmpp.Xml;

/// <summary>What a top-level unit of the stream is, decided from its first two bytes.</summary>
internal enum UnitKind : byte
{
    None,
    Declaration,
    Header,
    Element,
    StreamEnd,
}

/// <summary>
/// Finds where a top-level unit ends without building anything, so that bytes arriving in many small pieces are
/// looked at once: the state survives between calls and each call resumes where the previous one stopped. It only
/// tracks what decides the end of the unit (tags, quotes, CDATA, nesting, and a hash of each open tag's name so that
/// a mismatched end tag fails at once instead of leaving the unit open); the tree reader checks everything else
/// once the unit is complete. Restricted constructs and excessive nesting are refused here, as soon as they appear.
/// </summary>
internal struct MarkupScanner
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;

    private static ReadOnlySpan<byte> CdataOpen => "<![CDATA["u8;

    private State _state;
    private bool _singleTag;
    private byte _quote;
    private byte _previous;
    private int _match;
    private int _depth;
    private uint _nameHash;
    private uint[]? _openNames;

    private enum State : byte
    {
        Content,
        Open,
        StartName,
        EndName,
        StartTag,
        Quoted,
        EndTag,
        Bang,
        Cdata,
        Declaration,
    }

    public void Start(UnitKind kind)
    {
        var openNames = _openNames;
        this = default;
        _openNames = openNames;
        _state = kind == UnitKind.Declaration ? State.Declaration : State.Content;
        _singleTag = kind == UnitKind.Header;
    }

    /// <summary>Scans the next piece of the unit; returns the length of the unit's remainder in <paramref name="span"/>
    /// once it is complete, else -1.</summary>
    public int Scan(ReadOnlySpan<byte> span, int maxDepth)
    {
        _openNames ??= new uint[maxDepth + 1];
        int i = 0;
        while (i < span.Length)
        {
            switch (_state)
            {
                case State.StartName:
                case State.EndName:
                    i = InName(span, i);
                    if (i == span.Length)
                    {
                        return Pause(span);
                    }

                    break;

                case State.Content:
                {
                    int k = span[i..].IndexOf((byte)'<');
                    if (k < 0)
                    {
                        return Pause(span);
                    }

                    i += k + 1;
                    _state = State.Open;
                    break;
                }

                case State.Open:
                    i = AfterOpen(span, i, maxDepth);
                    break;

                case State.StartTag:
                {
                    int k = span[i..].IndexOfAny((byte)'>', (byte)'"', (byte)'\'');
                    if (k < 0)
                    {
                        return Pause(span);
                    }

                    int at = i + k;
                    i = at + 1;
                    if (span[at] != '>')
                    {
                        _quote = span[at];
                        _state = State.Quoted;
                        break;
                    }

                    if ((at > 0 ? span[at - 1] : _previous) == '/')
                    {
                        _depth--;
                    }

                    if (_singleTag || _depth == 0)
                    {
                        return i;
                    }

                    _state = State.Content;
                    break;
                }

                case State.Quoted:
                {
                    // '<' is never legal in an attribute value; stopping on it also catches an unterminated quote
                    // as soon as the next tag arrives.
                    int k = span[i..].IndexOfAny(_quote, (byte)'<');
                    if (k < 0)
                    {
                        return Pause(span);
                    }

                    if (span[i + k] == '<')
                    {
                        ThrowHelper.NotWellFormed("'<' is not allowed in attribute values.");
                    }

                    i += k + 1;
                    _state = State.StartTag;
                    break;
                }

                case State.EndTag:
                {
                    int k = span[i..].IndexOf((byte)'>');
                    if (k < 0)
                    {
                        return Pause(span);
                    }

                    i += k + 1;
                    if (--_depth <= 0)
                    {
                        return i;
                    }

                    _state = State.Content;
                    break;
                }

                case State.Bang:
                    if (span[i++] != CdataOpen[_match])
                    {
                        // "<!" followed by anything but "[" is a comment or a DTD declaration.
                        if (_match == 2)
                        {
                            ThrowHelper.RestrictedXml("Comments, DTDs and declarations are not allowed.");
                        }

                        ThrowHelper.NotWellFormed("Malformed CDATA section.");
                    }

                    if (++_match == CdataOpen.Length)
                    {
                        _state = State.Cdata;
                        _match = 0;
                    }

                    break;

                case State.Cdata:
                    i = InCdata(span, i);
                    break;

                case State.Declaration:
                {
                    int k = span[i..].IndexOf((byte)'>');
                    if (k < 0)
                    {
                        return Pause(span);
                    }

                    int at = i + k;
                    i = at + 1;
                    if ((at > 0 ? span[at - 1] : _previous) == '?')
                    {
                        return i;
                    }

                    break;
                }
            }
        }

        return Pause(span);
    }

    // Whether a '>' closes an empty-element tag or the declaration depends on the byte before it, which may have
    // been the last byte of the previous segment.
    private int Pause(ReadOnlySpan<byte> span)
    {
        if (!span.IsEmpty)
        {
            _previous = span[^1];
        }

        return -1;
    }

    private int AfterOpen(ReadOnlySpan<byte> span, int i, int maxDepth)
    {
        byte b = span[i];
        switch (b)
        {
            case (byte)'/':
                _state = State.EndName;
                _nameHash = FnvOffset;
                break;
            case (byte)'!':
                _state = State.Bang;
                _match = 2;
                break;
            case (byte)'?':
                ThrowHelper.RestrictedXml("Processing instructions are not allowed.");
                break;
            default:
                // Checked here so that garbage like "<>" or "< a" fails now rather than when the limit is reached.
                if (b < 0x80 && !XmlChars.IsNameStartChar(b))
                {
                    ThrowHelper.NotWellFormed("Expected a name after '<'.");
                }

                if (++_depth > maxDepth)
                {
                    ThrowHelper.PolicyViolation($"Elements nested deeper than {maxDepth}.");
                }

                _state = State.StartName;
                _nameHash = FnvOffset;
                return i;
        }

        return i + 1;
    }

    /// <summary>Hashes a tag name up to its end; at the end pushes it (start tag) or checks it against the open tag.</summary>
    private int InName(ReadOnlySpan<byte> span, int i)
    {
        for (; i < span.Length; i++)
        {
            byte b = span[i];
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'/' or (byte)'>')
            {
                break;
            }

            _nameHash = (_nameHash ^ b) * FnvPrime;
        }

        if (i == span.Length)
        {
            return i;
        }

        if (_state == State.StartName)
        {
            _openNames![_depth - 1] = _nameHash;
            _state = State.StartTag;
        }
        else
        {
            if (_depth > 0 && _openNames![_depth - 1] != _nameHash)
            {
                ThrowHelper.NotWellFormed("The end tag does not match the open element.");
            }

            _state = State.EndTag;
        }

        return i;
    }

    // _match counts the ']' just seen (at most two matter) so "]]>" is found even when split between segments.
    private int InCdata(ReadOnlySpan<byte> span, int i)
    {
        if (_match == 0)
        {
            int k = span[i..].IndexOf((byte)']');
            if (k < 0)
            {
                return span.Length;
            }

            _match = 1;
            return i + k + 1;
        }

        byte b = span[i];
        if (b == '>' && _match == 2)
        {
            _state = State.Content;
            _match = 0;
        }
        else
        {
            _match = b == ']' ? 2 : 0;
        }

        return i + 1;
    }
}
