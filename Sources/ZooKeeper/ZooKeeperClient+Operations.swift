internal import CZooKeeper
import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

extension ZooKeeperClient {
    /// Creates a node and returns its actual path (sequential nodes get a suffix).
    @discardableResult
    public func create(
        _ path: String,
        data: [UInt8] = [],
        mode: CreateMode = .persistent,
        acl: [ACL]? = nil
    ) async throws -> String {
        let flags = (mode.ephemeral ? atl_flag_ephemeral() : 0) | (mode.sequential ? atl_flag_sequence() : 0)
        let acl = configuration.aclPolicy?(path) ?? acl ?? configuration.defaultACL
        let (result, _) = try await submit(path: path) { h, ctx in
            acl.withCACLVector { vector in
                data.withUnsafeBufferPointer { buf in
                    buf.withMemoryRebound(to: CChar.self) {
                        zoo_acreate(h, path, $0.baseAddress, Int32($0.count), vector, flags, stringCompletion, ctx)
                    }
                }
            }
        }
        try check(result.rc, path: path)
        if case .string(_, let created?) = result { return created }
        return path
    }

    /// Creates every missing node on the way to `path` (and `path` itself); existing ones are left as they are.
    ///
    /// Looks before it creates: an identity may lack CREATE on a parent whose child exists (a
    /// router that watches `desired/routes`), and an existing path costs one round trip.
    public func ensurePath(_ path: String, acl: [ACL]? = nil) async throws {
        if try await exists(path) != nil { return }
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            if try await exists(current) != nil { continue }
            do {
                try await create(current, acl: acl)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                continue
            }
        }
    }

    /// Sets `path`'s data whatever its version, creating it (and missing parents) if it does not exist.
    public func upsert(_ path: String, data: [UInt8], mode: CreateMode = .persistent, acl: [ACL]? = nil) async throws {
        do {
            try await setData(path, data: data)
        } catch let error as ZooKeeperError where error.code == .noNode {
            if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                try await ensurePath(String(path[..<slash]))
            }
            do {
                try await create(path, data: data, mode: mode, acl: acl)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                try await setData(path, data: data)
            }
        }
    }

    public func getData(_ path: String) async throws -> (data: [UInt8], stat: Stat) {
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_aget(h, path, 0, dataCompletion, ctx)
        }
        try check(result.rc, path: path)
        guard case .data(_, let data, let stat?) = result else { throw ZooKeeperError(code: .system, path: path) }
        return (data, stat)
    }

    /// Reads a node and leaves a one-shot watch on it.
    public func getDataAndWatch(_ path: String) async throws -> (data: [UInt8], stat: Stat, watch: OneShotWatch) {
        let (watch, watchID) = registerWatch()
        do {
            let (result, _) = try await submit(path: path) { h, ctx in
                zoo_awget(h, path, oneShotWatcher, context(watchID), dataCompletion, ctx)
            }
            try check(result.rc, path: path)
            guard case .data(_, let data, let stat?) = result else { throw ZooKeeperError(code: .system, path: path) }
            return (data, stat, watch)
        } catch {
            CallbackRegistry.shared.removeWatch(watchID)
            throw error
        }
    }

    /// Reads a node and leaves a one-shot watch that calls `onEvent` (on the client's callback
    /// thread: it must not block). Costs no task per watch, for caches of many nodes.
    public func getData(
        _ path: String,
        group: WatchGroup? = nil,
        onEvent: @escaping @Sendable (WatchEvent) -> Void
    ) async throws -> (data: [UInt8], stat: Stat) {
        let watchID = registerCallbackWatch(group: group, onEvent)
        do {
            let (result, _) = try await submit(path: path) { h, ctx in
                zoo_awget(h, path, oneShotWatcher, context(watchID), dataCompletion, ctx)
            }
            try check(result.rc, path: path)
            guard case .data(_, let data, let stat?) = result else { throw ZooKeeperError(code: .system, path: path) }
            return (data, stat)
        } catch {
            CallbackRegistry.shared.removeWatch(watchID)
            group?.remove(watchID)
            throw error
        }
    }

    /// Reads a node and leaves a one-shot watch on it in `watches` (its handler gets `path` when
    /// the node changes or goes): no registration of its own, for caches of many nodes.
    public func getData(_ path: String, watches: PathWatches) async throws -> (data: [UInt8], stat: Stat) {
        watches.registration.armed(in: state.withLock { $0.generation })
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_awget(h, path, pathWatcher, context(watches.id), dataCompletion, ctx)
        }
        try check(result.rc, path: path)
        guard case .data(_, let data, let stat?) = result else { throw ZooKeeperError(code: .system, path: path) }
        return (data, stat)
    }

    /// Whether a node exists, leaving a one-shot watch in `watches` for its creation, change or
    /// deletion.
    public func exists(_ path: String, watches: PathWatches) async throws -> Stat? {
        watches.registration.armed(in: state.withLock { $0.generation })
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_awexists(h, path, pathWatcher, context(watches.id), statCompletion, ctx)
        }
        if result.rc == ZNONODE.rawValue { return nil }
        try check(result.rc, path: path)
        guard case .stat(_, let stat) = result else { return nil }
        return stat
    }

    public func exists(_ path: String) async throws -> Stat? {
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_aexists(h, path, 0, statCompletion, ctx)
        }
        if result.rc == ZNONODE.rawValue { return nil }
        try check(result.rc, path: path)
        guard case .stat(_, let stat) = result else { return nil }
        return stat
    }

    /// Checks whether a node exists and watches for its creation, change or deletion.
    public func existsAndWatch(_ path: String) async throws -> (stat: Stat?, watch: OneShotWatch) {
        let (watch, watchID) = registerWatch()
        do {
            let (result, _) = try await submit(path: path) { h, ctx in
                zoo_awexists(h, path, oneShotWatcher, context(watchID), statCompletion, ctx)
            }
            if result.rc == ZNONODE.rawValue { return (nil, watch) }
            try check(result.rc, path: path)
            guard case .stat(_, let stat) = result else { return (nil, watch) }
            return (stat, watch)
        } catch {
            CallbackRegistry.shared.removeWatch(watchID)
            throw error
        }
    }

    /// Checks whether a node exists and leaves a one-shot watch (for its creation, change or
    /// deletion) that calls `onEvent` on the client's callback thread; it must not block.
    public func exists(
        _ path: String,
        group: WatchGroup? = nil,
        onEvent: @escaping @Sendable (WatchEvent) -> Void
    ) async throws -> Stat? {
        let watchID = registerCallbackWatch(group: group, onEvent)
        do {
            let (result, _) = try await submit(path: path) { h, ctx in
                zoo_awexists(h, path, oneShotWatcher, context(watchID), statCompletion, ctx)
            }
            if result.rc == ZNONODE.rawValue { return nil }
            try check(result.rc, path: path)
            guard case .stat(_, let stat) = result else { return nil }
            return stat
        } catch {
            CallbackRegistry.shared.removeWatch(watchID)
            group?.remove(watchID)
            throw error
        }
    }

    /// Writes a node's data if its version is still `version` (-1: any version).
    @discardableResult
    public func setData(_ path: String, data: [UInt8], version: Int32 = -1) async throws -> Stat {
        let (result, _) = try await submit(path: path) { h, ctx in
            data.withUnsafeBufferPointer { buf in
                buf.withMemoryRebound(to: CChar.self) {
                    zoo_aset(h, path, $0.baseAddress, Int32($0.count), version, statCompletion, ctx)
                }
            }
        }
        try check(result.rc, path: path)
        guard case .stat(_, let stat?) = result else { throw ZooKeeperError(code: .system, path: path) }
        return stat
    }

    /// Deletes a node if its version is still `version` (-1: any version).
    public func delete(_ path: String, version: Int32 = -1) async throws {
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_adelete(h, path, version, voidCompletion, ctx)
        }
        try check(result.rc, path: path)
    }

    public func children(_ path: String) async throws -> [String] {
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_aget_children(h, path, 0, stringsCompletion, ctx)
        }
        try check(result.rc, path: path)
        guard case .strings(_, let names) = result else { return [] }
        return names.sorted()
    }

    /// Lists a node's children with the node's own stat, in one request; nil when there is no node.
    public func childrenAndStat(_ path: String) async throws -> (children: [String], stat: Stat)? {
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_aget_children2(h, path, 0, stringsStatCompletion, ctx)
        }
        if result.rc == ZNONODE.rawValue { return nil }
        try check(result.rc, path: path)
        guard case .stringsStat(_, let names, let stat?) = result else {
            throw ZooKeeperError(code: .system, path: path)
        }
        return (names.sorted(), stat)
    }

    /// Lists a node's children and leaves a one-shot watch for a child added or removed.
    public func childrenAndWatch(_ path: String) async throws -> (children: [String], watch: OneShotWatch) {
        let (watch, watchID) = registerWatch()
        do {
            let (result, _) = try await submit(path: path) { h, ctx in
                zoo_awget_children(h, path, oneShotWatcher, context(watchID), stringsCompletion, ctx)
            }
            try check(result.rc, path: path)
            guard case .strings(_, let names) = result else { return ([], watch) }
            return (names.sorted(), watch)
        } catch {
            CallbackRegistry.shared.removeWatch(watchID)
            throw error
        }
    }

    /// Makes the server this client talks to catch up with the leader, so that a following
    /// read sees every write committed before the call (another session's included).
    public func sync(_ path: String = "/") async throws {
        let (result, _) = try await submit(path: path) { h, ctx in
            zoo_async(h, path, stringCompletion, ctx)
        }
        try check(result.rc, path: path)
    }

    /// Runs every operation atomically: all of them happen or none does. On failure the error
    /// names the failing operation (`failedOperationIndex`) and its path.
    @discardableResult
    public func multi(_ operations: [Operation]) async throws -> [OperationResult] {
        guard !operations.isEmpty else { return [] }
        let count = operations.count
        let pathBufferSize = 1024
        var results: UnsafeMutablePointer<zoo_op_result_t>?
        // swift-format-ignore: OnlyOneTrailingClosureArgument
        let (result, call) = try await submit(
            path: nil,
            prepare: { call in
                results = call.allocate(byteCount: MemoryLayout<zoo_op_result_t>.stride * count)
                    .bindMemory(to: zoo_op_result_t.self, capacity: count)
            }
        ) { h, ctx in
            // Paths, data and ACLs are serialized during the call; the path buffers and stats
            // that the library fills in at completion belong to the pending call.
            let ops = UnsafeMutablePointer<zoo_op_t>.allocate(capacity: count)
            defer { ops.deallocate() }
            var keep: [UnsafeMutableRawPointer] = []
            defer { keep.forEach { free($0) } }
            func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
                let p = strdup(s)!
                keep.append(UnsafeMutableRawPointer(p))
                return p
            }
            func bytes(_ b: [UInt8]) -> UnsafeMutablePointer<CChar> {
                let p = malloc(max(b.count, 1))!
                b.withUnsafeBytes { if let base = $0.baseAddress { p.copyMemory(from: base, byteCount: b.count) } }
                keep.append(p)
                return p.assumingMemoryBound(to: CChar.self)
            }
            var aclVectors: [UnsafeMutablePointer<ACL_vector>] = []
            defer { aclVectors.forEach { freeACLVector($0) } }
            let owner = CallbackRegistry.shared.peekCall(contextID(ctx))
            for (i, op) in operations.enumerated() {
                switch op {
                case .create(let path, let data, let mode, let acl):
                    let flags =
                        (mode.ephemeral ? atl_flag_ephemeral() : 0) | (mode.sequential ? atl_flag_sequence() : 0)
                    let vector = makeACLVector(configuration.aclPolicy?(path) ?? acl ?? configuration.defaultACL)
                    aclVectors.append(vector)
                    let buffer = owner!.allocate(byteCount: pathBufferSize).assumingMemoryBound(to: CChar.self)
                    zoo_create_op_init(
                        ops + i,
                        cString(path),
                        bytes(data),
                        Int32(data.count),
                        vector,
                        flags,
                        buffer,
                        Int32(pathBufferSize)
                    )
                case .setData(let path, let data, let version):
                    let stat = owner!.allocate(byteCount: MemoryLayout<CZooKeeper.Stat>.stride)
                        .assumingMemoryBound(to: CZooKeeper.Stat.self)
                    zoo_set_op_init(ops + i, cString(path), bytes(data), Int32(data.count), version, stat)
                case .delete(let path, let version):
                    zoo_delete_op_init(ops + i, cString(path), version)
                case .check(let path, let version):
                    zoo_check_op_init(ops + i, cString(path), version)
                }
            }
            return zoo_amulti(h, Int32(count), ops, results, voidCompletion, ctx)
        }
        _ = call
        guard let results else { throw ZooKeeperError(code: .system) }
        if result.rc != ZOK.rawValue {
            // The failing operation carries the real error; those after it report an inconsistency.
            for i in 0..<count {
                let err = results[i].err
                if err != ZOK.rawValue && err != ZRUNTIMEINCONSISTENCY.rawValue {
                    throw ZooKeeperError(rc: err, path: operations[i].path, failedOperationIndex: i)
                }
            }
            throw ZooKeeperError(rc: result.rc)
        }
        return operations.enumerated().map { i, op in
            switch op {
            case .create:
                let value = results[i].value.map { String(cString: $0) } ?? op.path
                return .created(path: value)
            case .setData:
                return .set(results[i].stat.map { Stat($0.pointee) } ?? Stat(CZooKeeper.Stat()))
            case .delete:
                return .deleted
            case .check:
                return .checked
            }
        }
    }

    /// A callback watch, in `group` until it fires.
    private func registerCallbackWatch(
        group: WatchGroup?,
        _ onEvent: @escaping @Sendable (WatchEvent) -> Void
    ) -> Int {
        let generation = state.withLock { $0.generation }
        guard let group else {
            return CallbackRegistry.shared.add(WatchRegistration(session: generation, fire: onEvent))
        }
        let id = Mutex(0)
        let watchID = CallbackRegistry.shared.add(
            WatchRegistration(session: generation) { event in
                group.remove(id.withLock { $0 })
                onEvent(event)
            }
        )
        id.withLock { $0 = watchID }
        group.insert(watchID)
        return watchID
    }

    private func registerWatch() -> (OneShotWatch, Int) {
        let generation = state.withLock { $0.generation }
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = CallbackRegistry.shared.add(
            WatchRegistration(session: generation) { event in
                continuation.yield(event)
                continuation.finish()
            }
        )
        return (OneShotWatch(stream: stream), id)
    }
}
