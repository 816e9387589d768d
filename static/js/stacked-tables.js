// Tables on narrow screens: the stylesheet stacks each row's cells under one another below
// tablet width (so no page scrolls sideways at 320px, WCAG 1.4.10); this labels each cell with
// its column's heading, and gives the table its roles back, since a table drawn as blocks
// loses its table semantics in some browsers and screen readers would hear loose text.
export function labelStackedTables(root = document) {
  for (const table of root.querySelectorAll("table.govuk-table")) {
    const headings = [...table.querySelectorAll("thead tr:last-child th, thead tr:last-child td")];
    const labels = [];
    for (const heading of headings) {
      const span = Number(heading.getAttribute("colspan") || 1);
      for (let n = 0; n < span; n++) labels.push(heading.textContent.trim().replace(/\s+/g, " "));
    }
    table.setAttribute("role", "table");
    for (const group of table.querySelectorAll("thead, tbody, tfoot")) group.setAttribute("role", "rowgroup");
    for (const row of table.querySelectorAll("tr")) {
      row.setAttribute("role", "row");
      let column = 0;
      for (const cell of row.children) {
        if (cell.tagName === "TH") {
          cell.setAttribute("role", cell.closest("thead") ? "columnheader" : "rowheader");
        } else {
          cell.setAttribute("role", "cell");
        }
        if (!cell.closest("thead") && labels[column] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", labels[column]);
        }
        column += Number(cell.getAttribute("colspan") || 1);
      }
    }
  }
}
