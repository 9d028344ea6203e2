import Glibc

/// A whole file mapped read-only with mmap(2).
///
/// Model weights are used straight from the page cache: nothing is read
/// onto the heap, resident memory grows only with the pages actually
/// touched, and several processes share one copy. (Foundation's
/// `Data(contentsOf:options:.mappedIfSafe)` reads the whole file on Linux.)
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws(ModelFileError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else { throw .malformed(path: path, reason: "the file is empty") }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}

/// Everything that can be wrong with a model file, naming the file (and the tensor, when there is one).
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case malformed(path: String, reason: String)
    case badTensor(path: String, tensor: String, reason: String)
    case missingTensor(path: String, tensor: String)
    case unsupportedType(path: String, tensor: String, type: String)
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    case missingKey(path: String, key: String)
    case badValue(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .malformed(let path, let reason): "\(path) is not a valid model file: \(reason)"
        case .badTensor(let path, let tensor, let reason): "\(path): tensor '\(tensor)': \(reason)"
        case .missingTensor(let path, let tensor): "\(path) has no tensor '\(tensor)'"
        case .unsupportedType(let path, let tensor, let type): "\(path): tensor '\(tensor)' has unsupported type \(type)"
        case .shapeMismatch(let path, let tensor, let expected, let found):
            "\(path): tensor '\(tensor)' has shape \(found), but the configuration implies \(expected)"
        case .missingKey(let path, let key): "\(path) has no metadata key '\(key)'"
        case .badValue(let path, let key, let reason): "\(path): metadata key '\(key)': \(reason)"
        }
    }
}
