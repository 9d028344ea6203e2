import ArgumentParser
import COpenBLAS
import CPNG
import CZeroMQ
import Foundation

/// Shows which system libraries the binary runs against: a quick check that
/// the Debian packages are installed and the right BLAS is linked.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print Sightline's version and the versions of the libraries it is linked against.")

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Versions: Encodable {
        var sightline: String
        var zeromq: String
        var openblas: String
        var openblasThreads: Int
        var libpng: String

        enum CodingKeys: String, CodingKey {
            case sightline, zeromq, openblas, libpng
            case openblasThreads = "openblas_threads"
        }
    }

    func run() throws {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        let pngVersion = png_access_version_number()
        let versions = Versions(
            sightline: Sightline.version,
            zeromq: "\(major).\(minor).\(patch)",
            openblas: String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces),
            openblasThreads: Int(openblas_get_num_threads()),
            libpng: "\(pngVersion / 10000).\(pngVersion / 100 % 100).\(pngVersion % 100)")
        if json {
            print(JSONLines.line(versions))
        } else {
            print("sightline \(versions.sightline)")
            print("  libzmq   \(versions.zeromq)")
            print("  OpenBLAS \(versions.openblas) (\(versions.openblasThreads) threads)")
            print("  libpng   \(versions.libpng)")
        }
    }
}
