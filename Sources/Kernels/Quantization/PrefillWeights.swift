import CKernels
import Synchronization

/// A matrix's weights repacked for the int8 prefill GEMM (quant_gemm_vnni.c):
/// made at the first product with many columns, kept until the matrix goes.
/// Decode (one column) keeps reading the GGUF blocks in place, so a model that
/// never prefills never pays for the copy.
final class PrefillWeights: Sendable {
    /// The C handle: immutable once packed, freed only by deinit.
    struct Handle: @unchecked Sendable { let pointer: OpaquePointer }

    private enum State {
        case notYet
        case packed(Handle)
        /// This CPU or type has no GEMM, or the copy could not be allocated: the dot kernels serve.
        case unavailable
    }

    private let state = Mutex<State>(.notYet)

    /// Products with at least this many columns go through the GEMM (its tile is 16 rows x up to 8 columns).
    static let minimumColumns = 4

    /// The repacked weights, packing them on first use; nil where the GEMM does not apply.
    func weights(type: Int32, rows: Int, columns: Int, bytes: UnsafeRawPointer, rowBytes: Int, threads: Int) -> OpaquePointer? {
        let handle: Handle? = state.withLock { state in
            switch state {
            case .packed(let handle):
                return handle
            case .unavailable:
                return nil
            case .notYet:
                guard sl_qg_supports(type) != 0, let r = Int32(exactly: rows), let k = Int32(exactly: columns),
                      let pointer = sl_qg_pack(type, bytes, rowBytes, r, k, Int32(clamping: threads)) else {
                    state = .unavailable
                    return nil
                }
                state = .packed(Handle(pointer: pointer))
                return Handle(pointer: pointer)
            }
        }
        return handle?.pointer
    }

    /// Bytes of the repacked copy (0 before the first prefill or where the GEMM does not apply).
    var bytes: Int {
        state.withLock { state in
            if case .packed(let handle) = state { return Int(sl_qg_bytes(handle.pointer)) }
            return 0
        }
    }

    deinit {
        state.withLock { state in
            if case .packed(let handle) = state { sl_qg_free(handle.pointer) }
        }
    }
}
