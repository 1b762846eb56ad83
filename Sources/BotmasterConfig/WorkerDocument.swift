import BotmasterIPC
import TOMLKit

/// A `workers/<id>.toml` file as the fleet API shows and takes it: the file's keys as a JSON
/// object, sections (`limits`, `batch`, `env`…) as nested objects. Written back as TOML and
/// parsed by ``WorkerDefinitionParser``, so the API validates exactly as `check` does.
public enum WorkerDocument {
    /// The file's keys as JSON (dates and times, which no key takes, become strings).
    public static func json(fromTOML text: String) throws -> [String: JSONValue] {
        object(from: try TOMLTable(string: text))
    }

    /// TOML text for an object of the file's keys, or a problem per value TOML cannot hold (a
    /// null, an object inside an array).
    public static func toml(from object: [String: JSONValue], file: String) -> Result<String, ConfigProblems> {
        var problems: [ConfigProblem] = []
        let table = self.table(from: object, path: "", file: file, problems: &problems)
        guard problems.isEmpty else { return .failure(ConfigProblems(problems)) }
        return .success(table.convert(to: .toml, options: [.allowMultilineStrings, .allowUnicodeStrings, .indentations]))
    }

    /// A JSON merge patch (RFC 7386): keys of `patch` replace those of `base`, objects merge
    /// recursively, and a `null` removes the key.
    public static func merge(_ patch: [String: JSONValue], into base: [String: JSONValue]) -> [String: JSONValue] {
        var result = base
        for (key, value) in patch {
            switch (value, result[key]) {
            case (.null, _):
                result[key] = nil
            case (.object(let inner), .object(let existing)?):
                result[key] = .object(merge(inner, into: existing))
            case (.object(let inner), _):
                result[key] = .object(merge(inner, into: [:]))
            default:
                result[key] = value
            }
        }
        return result
    }

    // MARK: Conversions

    private static func object(from table: TOMLTable) -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        for (key, value) in table { object[key] = json(from: value) }
        return object
    }

    private static func json(from value: any TOMLValueConvertible) -> JSONValue {
        switch value.type {
        case .bool: .bool(value.bool ?? false)
        case .int: .number(Double(value.int ?? 0))
        case .double: .number(value.double ?? 0)
        case .string: .string(value.string ?? "")
        case .table: .object(value.table.map(object(from:)) ?? [:])
        case .array: .array((value.array.map { Array($0) } ?? []).map(json(from:)))
        case .date, .time, .dateTime: .string(value.debugDescription)
        }
    }

    private static func table(
        from object: [String: JSONValue], path: String, file: String, problems: inout [ConfigProblem]
    ) -> TOMLTable {
        let table = TOMLTable()
        for key in object.keys.sorted() {
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            switch object[key]! {
            case .object(let inner):
                table[key] = self.table(from: inner, path: keyPath, file: file, problems: &problems)
            case let value:
                if let converted = scalarOrArray(value, keyPath: keyPath, file: file, problems: &problems) { table[key] = converted }
            }
        }
        return table
    }

    private static func scalarOrArray(
        _ value: JSONValue, keyPath: String, file: String, problems: inout [ConfigProblem]
    ) -> (any TOMLValueConvertible)? {
        switch value {
        case .null:
            problems.append(ConfigProblem(file: file, key: keyPath, message: "null is not a value (leave the key out instead)"))
            return nil
        case .bool(let flag):
            return flag
        case .number(let number):
            // Whole numbers stay integers (TOML tells them apart; JSON does not).
            if number.rounded() == number, abs(number) < 9_007_199_254_740_992 { return Int(number) }
            return number
        case .string(let text):
            return text
        case .array(let elements):
            var converted: [any TOMLValueConvertible] = []
            for (index, element) in elements.enumerated() {
                if case .object = element {
                    problems.append(
                        ConfigProblem(file: file, key: "\(keyPath)[\(index)]", message: "an array of objects is not a setting"))
                } else if let item = scalarOrArray(element, keyPath: "\(keyPath)[\(index)]", file: file, problems: &problems) {
                    converted.append(item)
                }
            }
            return TOMLArray(converted)
        case .object:
            return nil  // handled by the caller
        }
    }
}
