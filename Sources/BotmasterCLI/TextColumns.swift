/// Rows of cells as aligned text columns, the way `status`, `top` and `describe` print them.
enum TextColumns {
    /// One line per row: each cell padded to its column's widest cell, two spaces between
    /// columns. Columns in `rightAligned` are padded on the left; the last cell of a row is
    /// left unpadded otherwise, so no line ends in spaces.
    static func lines(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                if rightAligned.contains(column) { return padding + cell }
                return column == row.count - 1 ? cell : cell + padding
            }.joined(separator: "  ")
        }
    }
}
