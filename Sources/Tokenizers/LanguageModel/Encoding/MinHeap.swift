/// Orders the candidates of a BPE merge queue: `before` is true when `self` merges first.
protocol MergeOrdered {
    func before(_ other: Self) -> Bool
}

/// The binary min-heap both BPE sessions use as their merge queue (storage kept between words).
struct MinHeap<Element: MergeOrdered> {
    private var items: [Element] = []

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].before(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var parent = 0
        while true {
            let l = 2 * parent + 1, r = l + 1
            var best = parent
            if l < items.count && items[l].before(items[best]) { best = l }
            if r < items.count && items[r].before(items[best]) { best = r }
            if best == parent { break }
            items.swapAt(parent, best)
            parent = best
        }
        return top
    }
}
extension MinHeap: Sendable where Element: Sendable {}
