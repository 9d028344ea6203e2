import Glibc

/// A float32 tensor ready for the kernels: a pointer, a shape, and the object
/// that keeps the memory alive (a mapped file for float32 weights, used in
/// place; an owned buffer for weights expanded from float16/bfloat16).
public struct FloatTensor: @unchecked Sendable {
    public let pointer: UnsafePointer<Float>
    public let shape: [Int]
    public let owner: AnyObject

    public init(pointer: UnsafePointer<Float>, shape: [Int], owner: AnyObject) {
        self.pointer = pointer
        self.shape = shape
        self.owner = owner
    }

    public var count: Int { shape.reduce(1, *) }

    /// The values, copied out (the pointer is only valid while `owner` lives,
    /// which a temporary tensor does not guarantee).
    public var values: [Float] {
        withExtendedLifetime(owner) { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    }

    /// Tells the kernel that the pages of a tensor used in place from a mapped file are
    /// not needed now (after a layer has converted it to another format): resident memory
    /// drops, and a later read maps them again from the file. Heap tensors are left alone.
    /// Returns false when madvise(2) refused.
    @discardableResult
    public func releaseResidentPages() -> Bool {
        guard owner is MappedFile else { return true }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: pointer), end = start + count * MemoryLayout<Float>.stride
        // Whole pages inside the tensor only: the pages it shares with its neighbours stay.
        let first = (start + page - 1) / page * page, last = end / page * page
        guard page > 0, last > first else { return true }
        return madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, MADV_DONTNEED) == 0
    }

    /// Runs `body` with the memory kept alive.
    public func withUnsafeBuffer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(owner) { try body(UnsafeBufferPointer(start: pointer, count: count)) }
    }

    /// A tensor that owns a copy of `values` (for tests and derived weights).
    public static func owning(_ values: [Float], shape: [Int]) -> FloatTensor {
        let storage = FloatStorage(count: values.count)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
        return FloatTensor(pointer: UnsafePointer(storage.pointer), shape: shape, owner: storage)
    }
}

/// Heap storage for floats, 64-byte aligned for the BLAS kernels.
public final class FloatStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    deinit { pointer.deallocate() }
}
