using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Auth;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>Who sends a request: the session and the ids its connection has proven.</summary>
internal readonly record struct Caller(long SessionId, IReadOnlyList<Id> AuthIds);

/// <summary>A validated write, ready to be logged and applied: the txn type and its record.</summary>
internal readonly record struct PreparedTxn(OpCode Type, object Record);

/// <summary>
/// Turns write requests into transactions, as ZooKeeper's PrepRequestProcessor does: the same checks in the same order
/// (so the same error wins when several apply), against the data tree plus the changes of earlier ops of the same
/// multi. Every check failure is a <see cref="KeeperException"/>; nothing here changes the tree.
/// </summary>
internal sealed class TxnPreparer(DataTree tree, SessionTracker sessions, ZooKeeperServerOptions options)
{
    /// <summary>Paths no client may delete (DataTree.isSpecialPath).</summary>
    private static readonly HashSet<string> SpecialPaths = new(StringComparer.Ordinal)
    {
        "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config",
    };

    private readonly PendingChanges changes = new(tree);

    /// <summary>Forgets the overlay of the previous request; the tree now holds whatever it applied.</summary>
    public void Reset() => changes.Clear();

    /// <summary>create, create2, createContainer and createTTL: the opcode picks the txn, the flags the node's kind.</summary>
    public PreparedTxn Create(OpCode type, string path, byte[]? data, IReadOnlyList<Acl> acl, int flags, long ttl, Caller caller, TxnHeader header)
    {
        var mode = CreateMode.FromFlag(flags) ?? throw new KeeperException(ErrorCode.BadArguments);
        if (mode.IsTtl && !options.ExtendedTypesEnabled)
        {
            throw new KeeperException(ErrorCode.Unimplemented);
        }

        var ttlValid = mode.IsTtl ? EphemeralOwner.IsValidTtl(ttl) : ttl < 0;
        if (!ttlValid)
        {
            throw new KeeperException(ErrorCode.BadArguments);
        }

        CheckSession(caller.SessionId, ephemeral: mode.IsEphemeral);
        var parentPath = ParentForCreate(path);
        var fixedAcl = AuthProviders.Fixup(acl, caller.AuthIds) ?? throw new KeeperException(ErrorCode.InvalidAcl);
        var parent = changes.Get(parentPath);
        CheckAcl(parent.Acl, Perms.Create, caller);
        if (mode.IsSequential)
        {
            path = ZnodePath.AppendSequence(path, parent.Stat.Cversion);
        }

        ValidatePath(path);
        if (changes.Find(path) is not null)
        {
            throw new KeeperException(ErrorCode.NodeExists);
        }

        if (IsSessionOwned(parent.Stat.EphemeralOwner))
        {
            throw new KeeperException(ErrorCode.NoChildrenForEphemerals);
        }

        var newCversion = parent.Stat.Cversion + 1;
        object txn = type switch
        {
            OpCode.CreateContainer => new CreateContainerTxn(path, data, fixedAcl, newCversion),
            OpCode.CreateTtl => new CreateTtlTxn(path, data, fixedAcl, newCversion, ttl),
            _ => new CreateTxn(path, data, fixedAcl, mode.IsEphemeral, newCversion),
        };

        var owner = mode.IsContainer ? EphemeralOwner.Container
            : mode.IsTtl ? EphemeralOwner.ForTtl(ttl)
            : mode.IsEphemeral ? caller.SessionId
            : 0;
        parent.ChildCount++;
        parent.Stat = parent.Stat with { Cversion = newCversion, Pzxid = header.Zxid };
        changes.Created(path, new NodeRecord(
            new StatPersisted(header.Zxid, header.Zxid, header.Time, header.Time, 0, 0, 0, owner, header.Zxid), fixedAcl, 0));
        return new PreparedTxn(type, txn);
    }

    public PreparedTxn Delete(DeleteRequest request, Caller caller, TxnHeader header)
    {
        CheckSession(caller.SessionId);
        var parentPath = ParentForDelete(request.Path);
        var parent = changes.Get(parentPath);
        CheckAcl(parent.Acl, Perms.Delete, caller);
        var node = changes.Get(request.Path);
        CheckVersion(node.Stat.Version, request.Version);
        if (node.ChildCount > 0)
        {
            throw new KeeperException(ErrorCode.NotEmpty);
        }

        RecordDeletion(request.Path, parent, header.Zxid);
        return new PreparedTxn(OpCode.Delete, new DeleteTxn(request.Path));
    }

    /// <summary>The container reaper's delete: no session, no ACL, and only containers and TTL nodes.</summary>
    public PreparedTxn DeleteContainer(string path, TxnHeader header)
    {
        var parentPath = ParentForDelete(path);
        var node = changes.Get(path);
        if (node.ChildCount > 0)
        {
            throw new KeeperException(ErrorCode.NotEmpty);
        }

        if (IsSessionOwned(node.Stat.EphemeralOwner))
        {
            throw new KeeperException(ErrorCode.BadVersion);
        }

        var parent = changes.Get(parentPath);
        RecordDeletion(path, parent, header.Zxid);
        return new PreparedTxn(OpCode.DeleteContainer, new DeleteTxn(path));
    }

    public PreparedTxn SetData(SetDataRequest request, Caller caller, TxnHeader header)
    {
        CheckSession(caller.SessionId);
        ValidatePath(request.Path);
        var node = changes.Get(request.Path);
        CheckAcl(node.Acl, Perms.Write, caller);
        var version = CheckVersion(node.Stat.Version, request.Version);
        node.Stat = node.Stat with { Version = version, Mtime = header.Time, Mzxid = header.Zxid };
        return new PreparedTxn(OpCode.SetData, new SetDataTxn(request.Path, request.Data, version));
    }

    public PreparedTxn SetAcl(SetAclRequest request, Caller caller)
    {
        CheckSession(caller.SessionId);
        ValidatePath(request.Path);
        var acl = AuthProviders.Fixup(request.Acl, caller.AuthIds) ?? throw new KeeperException(ErrorCode.InvalidAcl);
        var node = changes.Get(request.Path);
        CheckAcl(node.Acl, Perms.Admin, caller);
        var version = CheckVersion(node.Stat.Aversion, request.Version);
        node.Stat = node.Stat with { Aversion = version };
        return new PreparedTxn(OpCode.SetAcl, new SetAclTxn(request.Path, acl, version));
    }

    public PreparedTxn Check(CheckVersionRequest request, Caller caller)
    {
        CheckSession(caller.SessionId);
        ValidatePath(request.Path);
        var node = changes.Get(request.Path);
        CheckAcl(node.Acl, Perms.Read, caller);
        // ZooKeeper logs the version the node would have next; replay ignores it.
        return new PreparedTxn(OpCode.Check, new CheckVersionTxn(request.Path, CheckVersion(node.Stat.Version, request.Version)));
    }

    /// <summary>
    /// A multi: each op prepared in order against its predecessors' changes. After the first failure the op gets its
    /// error and every later op RuntimeInconsistency, without being looked at; the failed multi is still one logged
    /// transaction (which applies nothing), as in ZooKeeper.
    /// </summary>
    public PreparedTxn Multi(MultiRequest request, Caller caller, TxnHeader header)
    {
        var txns = new List<Txn>(request.Ops.Count);
        var failed = false;
        foreach (var op in request.Ops)
        {
            PreparedTxn prepared;
            if (failed)
            {
                prepared = new PreparedTxn(OpCode.Error, new ErrorTxn(ErrorCode.RuntimeInconsistency));
            }
            else
            {
                try
                {
                    prepared = Op(op, caller, header);
                }
                catch (KeeperException ex)
                {
                    failed = true;
                    prepared = new PreparedTxn(OpCode.Error, new ErrorTxn(ex.Code));
                }
            }

            txns.Add(new Txn(prepared.Type, TxnCodec.SerializeRecord(prepared.Record)));
        }

        return new PreparedTxn(OpCode.Multi, new MultiTxn(txns));
    }

    /// <summary>closeSession: deletes every ephemeral of the session; from now on the session takes no requests.</summary>
    public PreparedTxn CloseSession(long sessionId)
    {
        var paths = tree.EphemeralPaths(sessionId).ToList();
        sessions.SetClosing(sessionId);
        return new PreparedTxn(OpCode.CloseSession, new CloseSessionTxn(paths));
    }

    /// <summary>PrepRequestProcessor's session check; an ephemeral create treats an unknown session as expired.</summary>
    public void CheckSession(long sessionId, bool ephemeral = false)
    {
        var session = sessions.Get(sessionId);
        if (session is null)
        {
            throw new KeeperException(ephemeral ? ErrorCode.SessionExpired : ErrorCode.UnknownSession);
        }

        if (session.IsClosing)
        {
            throw new KeeperException(ErrorCode.SessionExpired);
        }
    }

    private PreparedTxn Op(MultiOp op, Caller caller, TxnHeader header) => op switch
    {
        MultiOp<CreateRequest> create => Create(op.Type, create.Request.Path, create.Request.Data, create.Request.Acl, create.Request.Flags, -1, caller, header),
        MultiOp<CreateTtlRequest> ttl => Create(op.Type, ttl.Request.Path, ttl.Request.Data, ttl.Request.Acl, ttl.Request.Flags, ttl.Request.Ttl, caller, header),
        MultiOp<DeleteRequest> delete => Delete(delete.Request, caller, header),
        MultiOp<SetDataRequest> setData => SetData(setData.Request, caller, header),
        MultiOp<CheckVersionRequest> check => Check(check.Request, caller),
        // A read op inside a write multi: ZooKeeper fails to build a txn for it.
        _ => throw new KeeperException(ErrorCode.MarshallingError),
    };

    /// <summary>
    /// EphemeralType.NORMAL: owned by a session, as opposed to no owner, a container or a TTL node (whose top byte is
    /// 0xff, which no session id has: a server id is at most 254).
    /// </summary>
    private static bool IsSessionOwned(long owner) =>
        owner != 0 && owner != EphemeralOwner.Container && (ulong)owner >> 56 != 0xff;

    private void RecordDeletion(string path, NodeRecord parent, long zxid)
    {
        parent.ChildCount--;
        parent.Stat = parent.Stat with { Pzxid = zxid };
        changes.Deleted(path);
    }

    private static void CheckAcl(IReadOnlyList<Acl> acl, Perms perm, Caller caller)
    {
        if (!AuthProviders.Allows(acl, perm, caller.AuthIds))
        {
            throw new KeeperException(ErrorCode.NoAuth);
        }
    }

    /// <summary>checkAndIncVersion: -1 matches any version; returns the version after the change.</summary>
    private static int CheckVersion(int current, int expected) =>
        expected == -1 || expected == current ? current + 1 : throw new KeeperException(ErrorCode.BadVersion);

    private static void ValidatePath(string path)
    {
        if (ZnodePath.Validate(path) is not null)
        {
            throw new KeeperException(ErrorCode.BadArguments);
        }
    }

    /// <summary>
    /// validatePathForCreate: only a slash and no NUL are required here; the full path rules apply after the sequence
    /// suffix is added, so a missing parent wins over a malformed name (NoNode before BadArguments).
    /// </summary>
    private static string ParentForCreate(string path) =>
        Parent(path) ?? throw new KeeperException(ErrorCode.BadArguments);

    /// <summary>getParentPathAndValidate: as for create, and the root and ZooKeeper's own nodes cannot go.</summary>
    private static string ParentForDelete(string path) =>
        SpecialPaths.Contains(path) ? throw new KeeperException(ErrorCode.BadArguments)
            : Parent(path) ?? throw new KeeperException(ErrorCode.BadArguments);

    /// <summary>Everything before the last slash (the root for <c>/x</c>); null without a slash or with a NUL.</summary>
    private static string? Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 || path.Contains('\0', StringComparison.Ordinal) ? null
            : slash == 0 ? ZnodePath.Root
            : path[..slash];
    }
}
