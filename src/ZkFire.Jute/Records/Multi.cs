namespace ZkFire.Jute;

/// <summary>
/// One op of a multi (opcode multi: writes) or multiRead (reads) request. Pattern-match on the body type, e.g.
/// <c>case MultiOp&lt;CreateRequest&gt; create</c>, and on <see cref="Type"/> where one body serves several ops.
/// </summary>
public abstract record MultiOp
{
    private protected MultiOp(OpCode type) => Type = type;

    public OpCode Type { get; }

    /// <summary>Whether this op belongs in a multiRead rather than a multi.</summary>
    public bool IsRead => Type is OpCode.GetChildren or OpCode.GetData;

    public static MultiOp<CreateRequest> Create(CreateRequest request) => new(OpCode.Create, request);

    public static MultiOp<CreateRequest> Create2(CreateRequest request) => new(OpCode.Create2, request);

    public static MultiOp<CreateRequest> CreateContainer(CreateRequest request) => new(OpCode.CreateContainer, request);

    public static MultiOp<CreateTtlRequest> CreateTtl(CreateTtlRequest request) => new(OpCode.CreateTtl, request);

    public static MultiOp<DeleteRequest> Delete(DeleteRequest request) => new(OpCode.Delete, request);

    public static MultiOp<SetDataRequest> SetData(SetDataRequest request) => new(OpCode.SetData, request);

    public static MultiOp<CheckVersionRequest> Check(CheckVersionRequest request) => new(OpCode.Check, request);

    public static MultiOp<GetChildrenRequest> GetChildren(GetChildrenRequest request) => new(OpCode.GetChildren, request);

    public static MultiOp<GetDataRequest> GetData(GetDataRequest request) => new(OpCode.GetData, request);

    internal abstract void WriteBody(ref JuteWriter writer);
}

/// <summary>A multi op and its request record; built through the factories on <see cref="MultiOp"/>.</summary>
public sealed record MultiOp<TRequest> : MultiOp where TRequest : IJuteRecord<TRequest>
{
    internal MultiOp(OpCode type, TRequest request) : base(type) => Request = request;

    public TRequest Request { get; }

    internal override void WriteBody(ref JuteWriter writer) => Request.Write(ref writer);
}

/// <summary>
/// The body of a multi or multiRead request (MultiOperationRecord): each op as MultiHeader{type, false, -1} plus
/// its request record, then MultiHeader{-1, true, -1}.
/// </summary>
public sealed record MultiRequest(IReadOnlyList<MultiOp> Ops) : IJuteRecord<MultiRequest>
{
    /// <summary>
    /// Decodes as ZooKeeper 3.8 does, which refuses (as undecodable) an unknown op type, a create with a flag
    /// that names no create mode, and a request mixing read and write ops.
    /// </summary>
    public static MultiRequest Read(ref JuteReader reader)
    {
        var ops = new List<MultiOp>();
        for (var header = MultiHeader.Read(ref reader); !header.Done; header = MultiHeader.Read(ref reader))
        {
            var op = ReadOp(header.Type, ref reader);
            if (ops.Count > 0 && ops[0].IsRead != op.IsRead)
            {
                throw new JuteException("A multi mixes read and write ops.");
            }

            ops.Add(op);
        }

        return new MultiRequest(ops);
    }

    public void Write(ref JuteWriter writer)
    {
        foreach (var op in Ops)
        {
            new MultiHeader(op.Type, false, ErrorCode.SystemError).Write(ref writer);
            op.WriteBody(ref writer);
        }

        MultiHeader.End.Write(ref writer);
    }

    private static MultiOp ReadOp(OpCode type, ref JuteReader reader)
    {
        switch (type)
        {
            case OpCode.Create or OpCode.Create2 or OpCode.CreateContainer:
                var create = CreateRequest.Read(ref reader);
                if (CreateMode.FromFlag(create.Flags) is null)
                {
                    throw new JuteException($"Invalid flag {create.Flags} for create mode.");
                }

                return new MultiOp<CreateRequest>(type, create);
            case OpCode.CreateTtl:
                return Body<CreateTtlRequest>(type, ref reader);
            case OpCode.Delete:
                return Body<DeleteRequest>(type, ref reader);
            case OpCode.SetData:
                return Body<SetDataRequest>(type, ref reader);
            case OpCode.Check:
                return Body<CheckVersionRequest>(type, ref reader);
            case OpCode.GetChildren:
                return Body<GetChildrenRequest>(type, ref reader);
            case OpCode.GetData:
                return Body<GetDataRequest>(type, ref reader);
            default:
                throw new JuteException($"Invalid type of op {(int)type} in a multi request.");
        }
    }

    private static MultiOp<T> Body<T>(OpCode type, ref JuteReader reader) where T : IJuteRecord<T> =>
        new(type, T.Read(ref reader));
}

/// <summary>
/// One result of a multi or multiRead response. Delete and check results carry no body and are plain
/// <see cref="MultiResult"/>s; the others are <see cref="MultiResult{TBody}"/>.
/// </summary>
public record MultiResult
{
    private protected MultiResult(OpCode type) => Type = type;

    public static MultiResult Delete { get; } = new(OpCode.Delete);

    public static MultiResult Check { get; } = new(OpCode.Check);

    public OpCode Type { get; }

    /// <summary>The error this result reports: Ok for anything but an error result.</summary>
    public virtual ErrorCode Err => ErrorCode.Ok;

    /// <summary>Result of a create op.</summary>
    public static MultiResult<CreateResponse> Create(string path) => new(OpCode.Create, new CreateResponse(path));

    /// <summary>Result of a create2, createContainer or createTTL op: ZooKeeper reports all three as create2.</summary>
    public static MultiResult<Create2Response> Create2(string path, Stat stat) =>
        new(OpCode.Create2, new Create2Response(path, stat));

    public static MultiResult<SetDataResponse> SetData(Stat stat) => new(OpCode.SetData, new SetDataResponse(stat));

    public static MultiResult<GetChildrenResponse> GetChildren(IReadOnlyList<string> children) =>
        new(OpCode.GetChildren, new GetChildrenResponse(children));

    public static MultiResult<GetDataResponse> GetData(byte[]? data, Stat stat) =>
        new(OpCode.GetData, new GetDataResponse(data, stat));

    /// <summary>
    /// A failed op. In a failed multi every op gets one: Ok for those before the failure, the failure's own code,
    /// then RuntimeInconsistency for those after.
    /// </summary>
    public static MultiResult<ErrorResponse> Error(ErrorCode err) => new(OpCode.Error, new ErrorResponse(err));

    internal virtual void WriteBody(ref JuteWriter writer)
    {
    }
}

public sealed record MultiResult<TBody> : MultiResult where TBody : IJuteRecord<TBody>
{
    internal MultiResult(OpCode type, TBody body) : base(type) => Body = body;

    public TBody Body { get; }

    public override ErrorCode Err => Body is ErrorResponse error ? error.Err : ErrorCode.Ok;

    internal override void WriteBody(ref JuteWriter writer) => Body.Write(ref writer);
}

/// <summary>
/// The body of a multi or multiRead reply (a ReplyHeader with err Ok precedes it even when ops failed): each
/// result as MultiHeader{type, false, err} plus its response record, then MultiHeader{-1, true, -1}.
/// </summary>
public sealed record MultiResponse(IReadOnlyList<MultiResult> Results) : IJuteRecord<MultiResponse>
{
    public static MultiResponse Read(ref JuteReader reader)
    {
        var results = new List<MultiResult>();
        for (var header = MultiHeader.Read(ref reader); !header.Done; header = MultiHeader.Read(ref reader))
        {
            results.Add(ReadResult(header.Type, ref reader));
        }

        return new MultiResponse(results);
    }

    public void Write(ref JuteWriter writer)
    {
        foreach (var result in Results)
        {
            new MultiHeader(result.Type, false, result.Err).Write(ref writer);
            result.WriteBody(ref writer);
        }

        MultiHeader.End.Write(ref writer);
    }

    private static MultiResult ReadResult(OpCode type, ref JuteReader reader) => type switch
    {
        OpCode.Create => Body<CreateResponse>(type, ref reader),
        OpCode.Create2 => Body<Create2Response>(type, ref reader),
        OpCode.Delete => MultiResult.Delete,
        OpCode.Check => MultiResult.Check,
        OpCode.SetData => Body<SetDataResponse>(type, ref reader),
        OpCode.GetChildren => Body<GetChildrenResponse>(type, ref reader),
        OpCode.GetData => Body<GetDataResponse>(type, ref reader),
        OpCode.Error => Body<ErrorResponse>(type, ref reader),
        _ => throw new JuteException($"Invalid type {(int)type} in a multi response."),
    };

    private static MultiResult<T> Body<T>(OpCode type, ref JuteReader reader) where T : IJuteRecord<T> =>
        new(type, T.Read(ref reader));
}
