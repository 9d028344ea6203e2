import CZlib

/// gzip decompression through zlib (RFC 1952, including files of several members,
/// which Python's gzip module also accepts).
enum Gzip {
    /// Far above any tokenizer file (OpenAI's merges are 1.3 MB); stops a crafted
    /// file from exhausting memory.
    static let maxOutput = 256 << 20

    static func decompress(_ input: [UInt8], path: String) throws(TokenizerError) -> [UInt8] {
        guard input.count >= 2, input[0] == 0x1F, input[1] == 0x8B else {
            throw .malformedGzip(path: path, reason: "no gzip header")
        }
        var output: [UInt8] = []
        var stream = z_stream()
        // 15 window bits + 16 selects gzip framing (inflateInit2 is a macro Swift cannot call).
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .malformedGzip(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var failure: String?
        input.withUnsafeBufferPointer { inBuf in
            var offset = 0
            while offset < inBuf.count {
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + offset)
                stream.avail_in = UInt32(inBuf.count - offset)
                var status = Z_OK
                repeat {
                    status = chunk.withUnsafeMutableBufferPointer { outBuf in
                        stream.next_out = outBuf.baseAddress
                        stream.avail_out = UInt32(outBuf.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    let produced = chunk.count - Int(stream.avail_out)
                    output.append(contentsOf: chunk[0..<produced])
                    if output.count > maxOutput {
                        failure = "decompresses to more than \(maxOutput >> 20) MiB"
                        return
                    }
                } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
                let consumed = (inBuf.count - offset) - Int(stream.avail_in)
                offset += consumed
                switch status {
                case Z_STREAM_END:
                    // Another member may follow; trailing zero padding is tolerated as gzip(1) does.
                    if offset < inBuf.count {
                        if inBuf[offset...].allSatisfy({ $0 == 0 }) { return }
                        guard inflateReset(&stream) == Z_OK else {
                            failure = "zlib could not restart"
                            return
                        }
                    }
                case Z_OK, Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        failure = "truncated data"
                        return
                    }
                    if consumed == 0 && status == Z_BUF_ERROR {
                        failure = "no progress decompressing"
                        return
                    }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    failure = "corrupt data (\(message))"
                    return
                }
            }
        }
        if let failure { throw .malformedGzip(path: path, reason: failure) }
        return output
    }
}
