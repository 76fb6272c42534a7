import BerthImage

/// Layer downloads in flight in this process: a second pull wanting a blob another pull is
/// fetching waits for it and takes the verified file, so a shared base layer is fetched once
/// also when two pulls run at the same time.
public actor DownloadClaims {
    private var waiting: [Digest: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    /// true: the caller fetches `digest` (and calls `done`); false: a fetch of it by another
    /// pull ended meanwhile (look for its file; if it failed, claim again).
    public func claim(_ digest: Digest) async -> Bool {
        guard waiting[digest] != nil else {
            waiting[digest] = []
            return true
        }
        await withCheckedContinuation { waiting[digest, default: []].append($0) }
        return false
    }

    /// The fetch of `digest` ended (verified or not): whoever waits looks again.
    public func done(_ digest: Digest) {
        for c in waiting.removeValue(forKey: digest) ?? [] { c.resume() }
    }
}
