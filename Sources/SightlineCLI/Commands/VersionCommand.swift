import ArgumentParser
import COpenBLAS
import CPNG
import CPUSupport
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
        /// The OpenBLAS kernel set in use (after the start-up check, see README "BLAS core").
        var blasCore: String
        var cpu: String
        /// The CPU features Sightline's own kernels use.
        var cpuFeatures: [String]
        var libpng: String

        enum CodingKeys: String, CodingKey {
            case sightline, zeromq, openblas, cpu, libpng
            case openblasThreads = "openblas_threads"
            case blasCore = "blas_core"
            case cpuFeatures = "cpu_features"
        }
    }

    func run() throws {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        let pngVersion = png_access_version_number()
        let versions = Versions(
            sightline: Sightline.version,
            zeromq: "\(major).\(minor).\(patch)",
            openblas: OpenBLASRuntime.configuration,
            openblasThreads: Int(openblas_get_num_threads()),
            blasCore: OpenBLASRuntime.coreName,
            cpu: CPUFeatures.current.identity,
            cpuFeatures: CPUFeatures.current.kernelFeatures,
            libpng: "\(pngVersion / 10000).\(pngVersion / 100 % 100).\(pngVersion % 100)")
        if json {
            print(JSONLines.line(versions))
        } else {
            print("sightline \(versions.sightline)")
            print("  libzmq   \(versions.zeromq)")
            print("  OpenBLAS \(versions.openblas) (\(versions.openblasThreads) threads)")
            print("  BLAS     core \(versions.blasCore)")
            print("  CPU      \(versions.cpu): \(versions.cpuFeatures.joined(separator: " "))")
            print("  libpng   \(versions.libpng)")
        }
    }
}
