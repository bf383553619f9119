import Foundation
import YAMLValue
import Yams
public import ZKModel

/// A raw document read from a manifest file, not yet validated.
public struct LoadedDocument: Sendable {
    public var location: DocumentLocation
    public var value: JSONValue
    /// The version the writer read (`If-Match`): the write is refused unless it is still so.
    public var expectedVersion: Int32?

    public init(location: DocumentLocation, value: JSONValue, expectedVersion: Int32? = nil) {
        self.location = location
        self.value = value
        self.expectedVersion = expectedVersion
    }
}

/// Reads manifests: `.yaml`/`.yml` (several documents separated by `---`) and `.json` (one
/// document or an array of them), from files or the top level of directories.
public struct ManifestLoader: Sendable {
    public static let extensions: Set<String> = ["yaml", "yml", "json"]

    public init() {}

    public func load(paths: [String]) throws(ManagerError) -> [LoadedDocument] {
        var files: [String] = []
        var problems: [InputProblem] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(
                    InputProblem(
                        location: nil,
                        errors: [FieldError(path: "", reason: "\(path): no such file or directory")]
                    )
                )
                continue
            }
            if isDirectory.boolValue {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                let manifests = entries.filter { Self.extensions.contains(($0 as NSString).pathExtension) }.sorted()
                files += manifests.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        var documents: [LoadedDocument] = []
        for file in files {
            do {
                documents += try load(file: file)
            } catch let problem {
                problems.append(problem)
            }
        }
        if problems.isEmpty && documents.isEmpty {
            problems.append(
                InputProblem(
                    location: nil,
                    errors: [
                        FieldError(
                            path: "",
                            reason:
                                "no documents found in \(paths.joined(separator: ", ")) (.yaml, .yml or .json files)"
                        )
                    ]
                )
            )
        }
        if !problems.isEmpty { throw .invalid(problems) }
        return documents
    }

    public func load(file: String) throws(InputProblem) -> [LoadedDocument] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw InputProblem(location: nil, errors: [FieldError(path: "", reason: "\(file): cannot be read")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputProblem(location: nil, errors: [FieldError(path: "", reason: "\(file): is not UTF-8 text")])
        }
        return try parse(text, file: file)
    }

    public func parse(_ text: String, file: String) throws(InputProblem) -> [LoadedDocument] {
        if (file as NSString).pathExtension == "json" {
            let value: JSONValue
            do {
                value = try JSONValue.parse(text)
            } catch {
                throw InputProblem(
                    location: DocumentLocation(file: file, index: 1),
                    errors: [FieldError(path: "", reason: "invalid JSON: \(Self.describe(error))")]
                )
            }
            let items: [JSONValue]
            if case .array(let list) = value { items = list } else { items = [value] }
            return items.enumerated().map {
                LoadedDocument(location: DocumentLocation(file: file, index: $0 + 1), value: $1)
            }
        }
        var out: [LoadedDocument] = []
        do {
            var index = 0
            // Yams.compose_all would stop silently at a syntax error: parse root by root instead.
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                index += 1
                let location = DocumentLocation(file: file, index: index)
                do {
                    out.append(LoadedDocument(location: location, value: try YAMLConversion.json(from: node)))
                } catch {
                    throw InputProblem(location: location, errors: [FieldError(path: "", reason: error.reason)])
                }
            }
        } catch let problem as InputProblem {
            throw problem
        } catch {
            throw InputProblem(
                location: DocumentLocation(file: file, index: out.count + 1),
                errors: [FieldError(path: "", reason: "invalid YAML: \(error)")]
            )
        }
        return out
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

extension InputProblem: Error {}
