/// A token bucket: `ratePerSecond` tokens a second, holding at most `burst`.
struct TokenBucket {
    private(set) var tokens: Double
    private var lastRefillSeconds: Double

    init(burst: Double, nowSeconds: Double) {
        tokens = burst
        lastRefillSeconds = nowSeconds
    }

    /// Takes one token if there is one.
    mutating func take(nowSeconds: Double, ratePerSecond: Double, burst: Double) -> Bool {
        refill(nowSeconds: nowSeconds, ratePerSecond: ratePerSecond, burst: burst)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket is full, i.e. the client has been idle long enough to forget.
    mutating func isFull(nowSeconds: Double, ratePerSecond: Double, burst: Double) -> Bool {
        refill(nowSeconds: nowSeconds, ratePerSecond: ratePerSecond, burst: burst)
        return tokens >= burst
    }

    private mutating func refill(nowSeconds: Double, ratePerSecond: Double, burst: Double) {
        let elapsed = max(0, nowSeconds - lastRefillSeconds)
        tokens = min(burst, tokens + elapsed * ratePerSecond)
        lastRefillSeconds = nowSeconds
    }
}
