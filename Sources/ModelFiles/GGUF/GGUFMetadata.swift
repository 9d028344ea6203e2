/// Typed access to metadata: a missing key or a value of the wrong type is an
/// error naming the file, the key, and what was found.
extension GGUFFile {
    public func value(_ key: String) throws(ModelFileError) -> GGUFValue {
        guard let value = metadata[key] else { throw .missingKey(path: path, key: key) }
        return value
    }

    private func wrongType(_ key: String, _ value: GGUFValue, expected: String) -> ModelFileError {
        .badValue(path: path, key: key, reason: "expected \(expected), found \(value.typeDescription)")
    }

    public func string(_ key: String) throws(ModelFileError) -> String {
        let value = try value(key)
        guard let result = value.stringValue else { throw wrongType(key, value, expected: "a string") }
        return result
    }

    /// Any integer type whose value fits an `Int`.
    public func int(_ key: String) throws(ModelFileError) -> Int {
        let value = try value(key)
        guard let result = value.intValue else { throw wrongType(key, value, expected: "an integer that fits Int") }
        return result
    }

    /// float32 or float64.
    public func double(_ key: String) throws(ModelFileError) -> Double {
        let value = try value(key)
        guard let result = value.doubleValue else { throw wrongType(key, value, expected: "a float") }
        return result
    }

    public func float(_ key: String) throws(ModelFileError) -> Float { Float(try double(key)) }

    public func bool(_ key: String) throws(ModelFileError) -> Bool {
        let value = try value(key)
        guard let result = value.boolValue else { throw wrongType(key, value, expected: "a bool") }
        return result
    }

    public func array(_ key: String) throws(ModelFileError) -> [GGUFValue] {
        let value = try value(key)
        guard let result = value.arrayValue else { throw wrongType(key, value, expected: "an array") }
        return result
    }

    public func strings(_ key: String) throws(ModelFileError) -> [String] {
        try typedArray(key, "strings") { $0.stringValue }
    }

    public func ints(_ key: String) throws(ModelFileError) -> [Int] {
        try typedArray(key, "integers") { $0.intValue }
    }

    public func doubles(_ key: String) throws(ModelFileError) -> [Double] {
        try typedArray(key, "floats") { $0.doubleValue }
    }

    public func bools(_ key: String) throws(ModelFileError) -> [Bool] {
        try typedArray(key, "bools") { $0.boolValue }
    }

    private func typedArray<T>(_ key: String, _ what: String, _ convert: (GGUFValue) -> T?) throws(ModelFileError) -> [T] {
        let value = try value(key)
        guard case .array(_, let items) = value else { throw wrongType(key, value, expected: "an array of \(what)") }
        var result: [T] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let converted = convert(item) else { throw wrongType(key, value, expected: "an array of \(what)") }
            result.append(converted)
        }
        return result
    }

    /// `general.architecture`, the prefix of the model's own keys ("qwen2").
    public var architecture: String? { metadata["general.architecture"]?.stringValue }
}
