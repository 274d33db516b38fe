// A plain HTML table the browser sorts (click a header) and filters (inputs in the header).
// Values are set as text, never as HTML. Served as a file (SortableTable._bundle), so the
// browser runs it without compiling it first. `model.long_text`: cells longer than this wrap.

export function render({ model }) {
  const root = document.createElement("div")
  const title = document.createElement("h3")
  title.textContent = model.title
  title.hidden = !model.title
  const stale = document.createElement("div")  // why the rows are stale (set as text)
  stale.className = "wm-card-stale"
  function badge() { stale.textContent = model.stale; stale.hidden = !model.stale }
  const count = document.createElement("div")
  count.className = "wm-count"
  const scroll = document.createElement("div")
  scroll.className = "wm-scroll"
  const table = document.createElement("table")
  table.className = "wm-table"
  const thead = table.createTHead()
  const tbody = table.createTBody()
  scroll.append(table)
  root.append(title, stale, count, scroll)
  let frame = {columns: [], data: []}
  const wanted = {}
  let sortBy = null, ascending = true

  function rank(column, value) {
    const order = model.order[column]
    if (order) { const i = order.indexOf(value); return i < 0 ? -1 : i }
    return value
  }
  function compare(a, b) {
    if (a === b) return 0
    if (a === null || a === undefined || a === "") return 1
    if (b === null || b === undefined || b === "") return -1
    return a < b ? -1 : 1
  }
  function header() {
    thead.replaceChildren()
    const names = thead.insertRow(), inputs = thead.insertRow()
    inputs.className = "wm-filters"
    for (const column of frame.columns) {
      const th = document.createElement("th")
      th.textContent = column + (sortBy === column ? (ascending ? " ▲" : " ▼") : "")
      th.className = "wm-sort"
      th.addEventListener("click", () => {
        ascending = sortBy === column ? !ascending : true
        sortBy = column
        header(); body()
      })
      names.append(th)
      const cell = document.createElement("th")
      const filter = model.filters[column]
      if (filter === "text") {
        const input = document.createElement("input")
        input.placeholder = column
        input.value = wanted[column] || ""
        input.addEventListener("input", () => { wanted[column] = input.value; body() })
        cell.append(input)
      } else if (Array.isArray(filter)) {
        const select = document.createElement("select")
        for (const choice of ["", ...filter]) {
          const option = document.createElement("option")
          option.value = choice
          option.textContent = choice || "all"
          select.append(option)
        }
        select.value = wanted[column] || ""
        select.addEventListener("change", () => { wanted[column] = select.value; body() })
        cell.append(select)
      }
      inputs.append(cell)
    }
  }
  function body() {
    const index = Object.fromEntries(frame.columns.map((c, i) => [c, i]))
    let rows = frame.data.filter((row) => Object.entries(wanted).every(([column, text]) => {
      if (!text) return true
      const value = String(row[index[column]] ?? "")
      return Array.isArray(model.filters[column])
        ? value === text : value.toLowerCase().includes(text.toLowerCase())
    }))
    if (sortBy !== null) {
      const i = index[sortBy]
      rows = rows.slice().sort((a, b) => {
        const c = compare(rank(sortBy, a[i]), rank(sortBy, b[i]))
        return ascending ? c : -c
      })
    }
    tbody.replaceChildren()
    for (const row of rows) {
      const tr = tbody.insertRow()
      tr.className = "wm-row"
      row.forEach((value, i) => {
        const td = tr.insertCell()
        td.textContent = value === null ? "" : String(value)
        td.dataset.label = frame.columns[i]  // shown before the value on a phone
        if (typeof value === "number") td.className = "num"
        else if (td.textContent.length > model.long_text) td.className = "long"
      })
    }
    count.textContent = frame.data.length === 0
      ? model.empty : `${rows.length} of ${frame.data.length} shown`
  }
  function load() {
    frame = JSON.parse(model.data)
    header(); body()
  }
  model.on("data", load)
  model.on("stale", badge)
  badge()
  load()
  return root
}
