/// The ids of the last `capacity` accepted commands (for `duplicate_id`), and
/// which of them are still active, i.e. not yet reported finished (for cancel
/// and `unknown_id`). Bounded, so a node that runs for months stays small.
struct RecentIDs {
    let capacity: Int
    private var order: [String] = []
    private var head = 0
    private var seen: Set<String> = []
    private(set) var active: Set<String> = []

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func contains(_ id: String) -> Bool { seen.contains(id) }
    func isActive(_ id: String) -> Bool { active.contains(id) }

    mutating func insert(_ id: String) {
        if order.count - head >= capacity {
            let evicted = order[head]
            head += 1
            seen.remove(evicted)
            active.remove(evicted)
            // Compact now and then instead of shifting the array on every insert.
            if head >= capacity {
                order.removeFirst(head)
                head = 0
            }
        }
        order.append(id)
        seen.insert(id)
        active.insert(id)
    }

    mutating func finish(_ id: String) { active.remove(id) }
}
