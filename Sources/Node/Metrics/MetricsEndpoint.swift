import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 endpoint that answers `GET /metrics` with the
/// Prometheus text format. It runs on a dedicated thread (accept and read are
/// blocking calls) and serves one short request at a time, which is all a
/// scraper needs.
public final class MetricsEndpoint: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case socket(String)
        public var description: String {
            switch self { case .socket(let message): "metrics endpoint: \(message)" }
        }
    }

    /// The address and port actually bound (as getsockname reports them; port 0 asks for an ephemeral one).
    public let host: String
    public let port: Int
    private let listener: Int32
    private let render: @Sendable () -> String
    private let lock = NSLock()
    private var stopping = false
    private var finished = false
    private let done = DispatchSemaphore(value: 0)

    /// Binds `host:port` and starts serving. `render` is called per scrape, on the endpoint's thread.
    public init(host: String = "127.0.0.1", port: Int, render: @escaping @Sendable () -> String) throws {
        self.render = render
        guard (0...65535).contains(port) else { throw Failure.socket("port \(port) is outside 0...65535") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.socket("socket(): \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure.socket("setsockopt(SO_REUSEADDR): \(message)")
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw Failure.socket("invalid IPv4 host \(host)")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure.socket("cannot bind \(host):\(port): \(message)")
        }
        guard listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure.socket("listen(): \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard named == 0, inet_ntop(AF_INET, &actual.sin_addr, &text, socklen_t(text.count)) != nil else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure.socket("getsockname(): \(message)")
        }
        self.host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.listener = fd
        let thread = Thread { [self] in serve() }
        thread.name = "sightline-metrics"
        thread.start()
    }

    /// Stops serving and closes the socket; returns once the thread has ended.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        if first { done.wait() }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func serve() {
        defer {
            close(listener)
            done.signal()
        }
        while !isStopping {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 200)  // wake up to notice stop()
            guard ready > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            respond(on: client)
            close(client)
        }
    }

    private func respond(on client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Read until the end of the headers (the request has no body we care about).
        while request.count < 16_384 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            request.append(contentsOf: buffer[0..<n])
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let requestLine = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = requestLine.split(separator: " ")
        let (status, contentType, body): (String, String, String)
        if parts.count < 2 {
            (status, contentType, body) = ("400 Bad Request", "text/plain", "bad request\n")
        } else if parts[0] != "GET" {
            (status, contentType, body) = ("405 Method Not Allowed", "text/plain", "only GET\n")
        } else if parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") {
            (status, contentType, body) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", render())
        } else {
            (status, contentType, body) = ("404 Not Found", "text/plain", "try /metrics\n")
        }
        let payload = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + payload
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }
}
