using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;

namespace ZkFire.ZooKeeper.Server.Tests.Data;

public sealed class DataTreeTests
{
    private const long Session = 0x1000000abcL;

    private readonly TreeDriver _driver = new();

    private DataTree Tree => _driver.Tree;

    [Fact]
    public void A_fresh_tree_has_zookeepers_reserved_znodes_with_zero_stats()
    {
        Assert.Equal(4, Tree.NodeCount);
        Assert.Equal(["zookeeper"], Tree.Get("/")!.Children);
        Assert.Equal(["config", "quota"], Tree.Get("/zookeeper")!.Children.Order(StringComparer.Ordinal));

        // copyStat turns 0 creations and 1 (or 2) children into cversion -1 (or -2), as `stat /` shows on ZooKeeper.
        Assert.Equal(new Stat(0, 0, 0, 0, 0, -1, 0, 0, 0, 1, 0), Tree.Get("/")!.ToStat());
        Assert.Equal(new Stat(0, 0, 0, 0, 0, -2, 0, 0, 0, 2, 0), Tree.Get("/zookeeper")!.ToStat());
        Assert.Equal(new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), Tree.Get("/zookeeper/quota")!.ToStat());
        Assert.Equal(WellKnownAcls.OpenAclUnsafe, Tree.Get("/")!.Acl);

        var config = Tree.Get(DataTree.ConfigPath)!;
        Assert.Equal(WellKnownAcls.ReadAclUnsafe, config.Acl);
        Assert.Equal(-1, config.ToStat().Aversion);
        Assert.Empty(config.Data);
        Assert.False(config.DataIsNull);

        // ZooKeeper's approximateDataSize: path lengths 1 + 10 + 16 + 17.
        Assert.Equal(44, Tree.ApproximateDataSize);
        Assert.Equal(0, Tree.LastProcessedZxid);
    }

    [Fact]
    public void Create_stamps_the_znode_and_advances_the_parents_cversion_and_pzxid()
    {
        _driver.NextZxid = 0x500000001;
        var result = _driver.Create("/a", [1, 2, 3]);

        var zxid = 0x500000001L;
        var time = TreeDriver.StartTime + zxid;
        Assert.Equal(new TxnResult(ErrorCode.Ok, "/a", new Stat(zxid, zxid, time, time, 0, 0, 0, 0, 3, 0, zxid), Type: OpCode.Create2), result);
        Assert.Equal(result.Stat, Tree.Get("/a")!.ToStat());
        Assert.Equal(new StatPersisted(0, 0, 0, 0, 0, 1, 0, 0, zxid), Tree.Get("/")!.Stat);
        Assert.Equal(0, Tree.Get("/")!.ToStat().Cversion);
        Assert.Equal(zxid, Tree.LastProcessedZxid);
        Assert.Equal(44 + 2 + 3, Tree.ApproximateDataSize);
    }

    [Fact]
    public void Parent_cversion_counts_creations_and_deletions_while_the_stored_one_counts_creations()
    {
        _driver.Create("/p");
        _driver.Create(_driver.Sequential("/p", "c-"));
        _driver.Create(_driver.Sequential("/p", "c-"));
        var deleted = _driver.Delete("/p/c-0000000000");

        var parent = Tree.Get("/p")!;
        Assert.Equal((2, 3, 1), (parent.Stat.Cversion, parent.ToStat().Cversion, parent.ToStat().NumChildren));
        Assert.Equal(_driver.Log[^1].Header.Zxid, parent.Stat.Pzxid);
        Assert.Equal(new TxnResult(ErrorCode.Ok, "/p/c-0000000000", null, Type: OpCode.Delete), deleted);

        // PEERS.md: create, create, delete → the next sequential child is ...0000000002.
        Assert.Equal("/p/c-0000000002", _driver.Sequential("/p", "c-"));
    }

    [Fact]
    public void Ephemeral_znodes_are_owned_by_the_session_and_indexed()
    {
        _driver.Create("/e1", ephemeralOwner: Session);
        _driver.Create("/e2", ephemeralOwner: Session);

        Assert.Equal(Session, Tree.Get("/e1")!.ToStat().EphemeralOwner);
        Assert.Equal(ZnodeKind.Ephemeral, Tree.Get("/e1")!.Kind);
        Assert.Equal(["/e1", "/e2"], Tree.EphemeralPaths(Session).Order(StringComparer.Ordinal));
        Assert.Equal([Session], Tree.SessionsWithEphemerals);
        Assert.Equal(2, Tree.EphemeralCount);

        _driver.Delete("/e1");
        Assert.Equal(["/e2"], Tree.EphemeralPaths(Session));
        _driver.Delete("/e2");
        Assert.Empty(Tree.EphemeralPaths(Session));
        Assert.Empty(Tree.SessionsWithEphemerals);
    }

    [Fact]
    public void Containers_store_zookeepers_marker_but_show_owner_zero()
    {
        var result = _driver.CreateContainer("/c");

        var node = Tree.Get("/c")!;
        Assert.Equal(ZnodeKind.Container, node.Kind);
        Assert.Equal(long.MinValue, node.Stat.EphemeralOwner);
        Assert.Equal(0, node.ToStat().EphemeralOwner);
        Assert.Equal(0, result.Stat!.Value.EphemeralOwner);
        Assert.Equal(["/c"], Tree.ContainerPaths);
        Assert.Empty(Tree.SessionsWithEphemerals);

        _driver.Delete("/c");
        Assert.Empty(Tree.ContainerPaths);
    }

    [Fact]
    public void Ttl_znodes_encode_the_ttl_in_the_owner_but_show_owner_zero()
    {
        _driver.CreateTtl("/t", 5000);

        var node = Tree.Get("/t")!;
        Assert.Equal(ZnodeKind.Ttl, node.Kind);
        Assert.Equal(unchecked((long)0xff00000000001388UL), node.Stat.EphemeralOwner);
        Assert.Equal(5000, EphemeralOwner.TtlOf(node.Stat.EphemeralOwner));
        Assert.Equal(0, node.ToStat().EphemeralOwner);
        Assert.Equal(["/t"], Tree.TtlPaths);

        _driver.Delete("/t");
        Assert.Empty(Tree.TtlPaths);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(EphemeralOwner.MaxTtl + 1)]
    public void A_ttl_outside_zookeepers_range_is_refused(long ttl)
    {
        Assert.False(EphemeralOwner.IsValidTtl(ttl));
        Assert.Throws<ArgumentOutOfRangeException>(() => _driver.CreateTtl("/t", ttl));
        Assert.Null(Tree.Get("/t"));
    }

    [Fact]
    public void SetData_takes_the_txns_version_so_identical_data_still_bumps_it()
    {
        _driver.Create("/a", [7]);
        var first = _driver.SetData("/a", [7]);
        var second = _driver.SetData("/a", [7]);

        Assert.Equal((1, 2), (first.Stat!.Value.Version, second.Stat!.Value.Version));
        var zxid = _driver.Log[^1].Header.Zxid;
        Assert.Equal((zxid, TreeDriver.StartTime + zxid), (second.Stat!.Value.Mzxid, second.Stat!.Value.Mtime));
        Assert.Equal(_driver.Log[0].Header.Zxid, second.Stat!.Value.Czxid);
        Assert.Equal(OpCode.SetData, second.Type);
    }

    [Fact]
    public void Null_data_is_kept_apart_from_empty_data()
    {
        _driver.Create("/null");
        _driver.Create("/empty", []);

        Assert.True(Tree.Get("/null")!.DataIsNull);
        Assert.Empty(Tree.Get("/null")!.Data);
        Assert.False(Tree.Get("/empty")!.DataIsNull);
        Assert.Equal(0, Tree.Get("/null")!.ToStat().DataLength);

        _driver.SetData("/empty", null);
        Assert.True(Tree.Get("/empty")!.DataIsNull);
    }

    [Fact]
    public void SetAcl_sets_the_aversion_and_equal_acl_lists_are_shared()
    {
        IReadOnlyList<Acl> digest = [new(Perms.Read | Perms.Write, new Id("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E="))];
        _driver.Create("/a");
        _driver.Create("/b", acl: [.. digest]);
        var before = Tree.AclCacheCount;

        var result = _driver.SetAcl("/a", [.. digest]);

        Assert.Equal(1, result.Stat!.Value.Aversion);
        Assert.Equal(digest, Tree.Get("/a")!.Acl);
        Assert.Same(Tree.Get("/a")!.Acl, Tree.Get("/b")!.Acl);
        Assert.Equal(before, Tree.AclCacheCount);

        _driver.Delete("/a");
        _driver.Delete("/b");
        Assert.Equal(before - 1, Tree.AclCacheCount);
    }

    [Fact]
    public void A_stored_acl_does_not_change_with_the_txns_list()
    {
        Acl[] acl = [new(Perms.All, WellKnownAcls.AnyoneIdUnsafe)];
        _driver.Create("/a", acl: acl);
        acl[0] = new Acl(Perms.Read, WellKnownAcls.AnyoneIdUnsafe);

        Assert.Equal(Perms.All, Tree.Get("/a")!.Acl[0].Perms);
    }

    [Fact]
    public void A_multi_applies_its_ops_in_order_and_reports_each()
    {
        _driver.Create("/a");
        var result = _driver.Multi(
            (OpCode.Create, _driver.CreateTxn("/a/b", [1])),
            (OpCode.SetData, _driver.SetDataTxn("/a", [2])),
            (OpCode.Check, new CheckVersionTxn("/a", 1)),
            (OpCode.Delete, new DeleteTxn("/a/b")));

        Assert.Equal(ErrorCode.Ok, result.Err);
        Assert.Equal(OpCode.Multi, result.Type);
        Assert.Equal(
            [(OpCode.Create, ErrorCode.Ok, "/a/b"), (OpCode.SetData, ErrorCode.Ok, "/a"), (OpCode.Check, ErrorCode.Ok, "/a"), (OpCode.Delete, ErrorCode.Ok, "/a/b")],
            result.MultiResults!.Select(r => (r.Type, r.Err, r.Path)));
        Assert.Equal(1, result.MultiResults![1].Stat!.Value.Version);
        var a = Tree.Get("/a")!;
        Assert.Equal((1, 1, 0), (a.Stat.Version, a.Stat.Cversion, a.ToStat().NumChildren));
        Assert.Equal(_driver.Log[^1].Header.Zxid, Tree.LastProcessedZxid);
    }

    [Fact]
    public void A_failed_multi_changes_nothing_and_reports_ok_the_error_then_runtime_inconsistency()
    {
        _driver.Create("/a");
        var before = Tree.Get("/a")!.ToStat();

        // The preprocessor turns every op of a failed multi into an ErrorTxn; a stray real op is neutralised too.
        var result = _driver.Multi(
            (OpCode.Error, new ErrorTxn(ErrorCode.Ok)),
            (OpCode.Error, new ErrorTxn(ErrorCode.NodeExists)),
            (OpCode.Create, _driver.CreateTxn("/a/c")),
            (OpCode.Error, new ErrorTxn(ErrorCode.RuntimeInconsistency)));

        Assert.Equal(ErrorCode.NodeExists, result.Err);
        Assert.Equal(
            [ErrorCode.Ok, ErrorCode.NodeExists, ErrorCode.RuntimeInconsistency, ErrorCode.RuntimeInconsistency],
            result.MultiResults!.Select(r => r.Err));
        Assert.All(result.MultiResults!, r => Assert.Equal(OpCode.Error, r.Type));
        Assert.Equal(before, Tree.Get("/a")!.ToStat());
        Assert.Null(Tree.Get("/a/c"));
        Assert.Empty(_driver.Notifications);
    }

    [Fact]
    public void An_empty_multi_gives_an_empty_result_list()
    {
        var result = _driver.Multi();

        Assert.Equal(ErrorCode.Ok, result.Err);
        Assert.Empty(result.MultiResults!);
    }

    [Fact]
    public void A_multi_with_an_op_that_cannot_be_in_a_multi_changes_nothing()
    {
        var multi = new MultiTxn([new Txn(OpCode.Create, TreeDriver.Serialize(_driver.CreateTxn("/a"))), new Txn(OpCode.SetAcl, [])]);

        Assert.Throws<JuteException>(() => Tree.Apply(_driver.Header(OpCode.Multi), multi, []));
        Assert.Null(Tree.Get("/a"));
    }

    [Fact]
    public void Closing_a_session_deletes_the_listed_paths_then_any_ephemeral_the_txn_missed()
    {
        _driver.Create("/p");
        _driver.Create("/p/e1", ephemeralOwner: Session);
        _driver.Create("/p/e2", ephemeralOwner: Session);
        _driver.Create("/other", ephemeralOwner: Session + 1);

        var result = _driver.Apply(_driver.Header(OpCode.CloseSession, Session), new CloseSessionTxn(["/p/e2", "/gone"]));

        Assert.Equal(ErrorCode.Ok, result.Err);
        Assert.Null(Tree.Get("/p/e1"));
        Assert.Null(Tree.Get("/p/e2"));
        Assert.Empty(Tree.EphemeralPaths(Session));
        Assert.Equal(["/other"], Tree.EphemeralPaths(Session + 1));
        var p = Tree.Get("/p")!;
        Assert.Equal((2, 4, _driver.Log[^1].Header.Zxid), (p.Stat.Cversion, p.ToStat().Cversion, p.Stat.Pzxid));
    }

    [Fact]
    public void A_close_session_without_a_record_deletes_the_indexed_ephemerals()
    {
        _driver.Create("/e", ephemeralOwner: Session);

        _driver.Apply(_driver.Header(OpCode.CloseSession, Session), null);

        Assert.Null(Tree.Get("/e"));
        Assert.Empty(Tree.SessionsWithEphemerals);
    }

    [Fact]
    public void Session_creation_errors_and_checks_change_no_znode_but_advance_the_zxid()
    {
        var results = new[]
        {
            _driver.Apply(_driver.Header(OpCode.CreateSession, Session), new CreateSessionTxn(30000)),
            _driver.Apply(_driver.Header(OpCode.Error), new ErrorTxn(ErrorCode.BadVersion)),
            _driver.Apply(_driver.Header(OpCode.Check), new CheckVersionTxn("/", 0)),
        };

        Assert.Equal([ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.Ok], results.Select(r => r.Err));
        Assert.Equal(4, Tree.NodeCount);
        Assert.Equal(3, Tree.LastProcessedZxid);
        Assert.Equal(new StatPersisted(), Tree.Get("/")!.Stat);
    }

    [Fact]
    public void A_record_that_does_not_fit_the_header_type_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Tree.Apply(_driver.Header(OpCode.Create), new DeleteTxn("/a"), []));
        Assert.Throws<ArgumentException>(() => Tree.Apply(_driver.Header(OpCode.Delete), null, []));
    }

    [Fact]
    public void Failures_are_results_and_change_nothing()
    {
        _driver.Create("/a");
        var before = Tree.Get("/")!.Stat;

        Assert.Equal(ErrorCode.NoNode, _driver.Apply(_driver.Header(OpCode.Create), new CreateTxn("/missing/c", null, WellKnownAcls.OpenAclUnsafe, false, 1)).Err);
        Assert.Equal(ErrorCode.NoNode, _driver.Delete("/missing/c").Err);
        Assert.Equal(ErrorCode.NoNode, _driver.Apply(_driver.Header(OpCode.SetData), new SetDataTxn("/nope", null, 1)).Err);
        Assert.Equal(ErrorCode.NoNode, _driver.Apply(_driver.Header(OpCode.SetAcl), new SetAclTxn("/nope", WellKnownAcls.OpenAclUnsafe, 1)).Err);
        Assert.Equal(ErrorCode.NodeExists, _driver.Apply(_driver.Header(OpCode.Create), new CreateTxn("/a", null, WellKnownAcls.OpenAclUnsafe, false, 5)).Err);

        Assert.Equal(before, Tree.Get("/")!.Stat);
    }

    [Fact]
    public void Replaying_a_create_the_snapshot_already_holds_advances_the_parent_like_zookeeper()
    {
        _driver.Create("/p");
        _driver.Create("/p/c");
        var txn = new CreateTxn("/p/c", null, WellKnownAcls.OpenAclUnsafe, false, 7);

        var result = Tree.Apply(_driver.Header(OpCode.Create), txn, [], replaying: true);

        Assert.Equal(ErrorCode.NodeExists, result.Err);
        Assert.Equal((7, _driver.NextZxid), (Tree.Get("/p")!.Stat.Cversion, Tree.Get("/p")!.Stat.Pzxid));
    }

    [Fact]
    public void Replaying_a_delete_of_a_missing_child_still_advances_the_parents_pzxid()
    {
        _driver.Create("/p");

        var result = Tree.Apply(_driver.Header(OpCode.Delete), new DeleteTxn("/p/gone"), [], replaying: true);

        Assert.Equal(ErrorCode.NoNode, result.Err);
        Assert.Equal(_driver.NextZxid, Tree.Get("/p")!.Stat.Pzxid);
        Assert.Equal(1, Tree.Get("/")!.Stat.Cversion);
    }

    [Fact]
    public void AllChildrenNumber_counts_every_descendant_as_zookeeper_does()
    {
        _driver.Create("/a");
        _driver.Create("/a/b");
        _driver.Create("/a/b/c");
        _driver.Create("/ab");

        Assert.Equal((2, 1, 0, 7), (Tree.AllChildrenNumber("/a"), Tree.AllChildrenNumber("/a/b"), Tree.AllChildrenNumber("/ab"), Tree.AllChildrenNumber("/")));
    }

    [Fact]
    public void Children_is_a_copy()
    {
        _driver.Create("/a");
        var children = Tree.Get("/")!.Children;
        _driver.Create("/b");

        Assert.Equal(["/a", "/zookeeper"], children.Select(c => "/" + c).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TxnRecords_decodes_what_the_log_holds()
    {
        var create = _driver.CreateTxn("/a", [1]);

        var decoded = (CreateTxn)TxnRecords.Read(OpCode.Create2, TreeDriver.Serialize(create));

        Assert.Equal((create.Path, create.ParentCVersion, create.Ephemeral), (decoded.Path, decoded.ParentCVersion, decoded.Ephemeral));
        Assert.Equal(new DeleteTxn("/x"), TxnRecords.Read(OpCode.DeleteContainer, TreeDriver.Serialize(new DeleteTxn("/x"))));
        Assert.Throws<JuteException>(() => TxnRecords.Read(OpCode.GetData, []));
    }
}
