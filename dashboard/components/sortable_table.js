// A plain HTML table the browser sorts (click a header) and filters (inputs in the header).
// Values are set as text, never as HTML. Served as a file (SortableTable._bundle), so the
// browser runs it without compiling it first. `model.long_text`: cells longer than this wrap.
// `model.page_size` rows a page (0: all): thousands of rows (a 10,000-turbine fleet's alerts)
// are sorted and filtered in full, but only one page of them is put in the page's DOM.

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
  const pager = document.createElement("div")  // "‹ previous  page 2 of 25  next ›"
  pager.className = "wm-pager"
  const previous = document.createElement("button")
  previous.textContent = "‹ previous"
  previous.className = "wm-prev"
  const where = document.createElement("span")
  where.className = "wm-page"
  const next = document.createElement("button")
  next.textContent = "next ›"
  next.className = "wm-next"
  pager.append(previous, where, next)
  const table = document.createElement("table")
  table.className = "wm-table"
  const thead = table.createTHead()
  const tbody = table.createTBody()
  scroll.append(table)
  root.append(title, stale, count, pager, scroll)
  let frame = {columns: [], data: []}
  const wanted = {}
  let sortBy = null, ascending = true, page = 0
  previous.addEventListener("click", () => { page -= 1; body() })
  next.addEventListener("click", () => { page += 1; body() })

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
        page = 0
        header(); body()
      })
      names.append(th)
      const cell = document.createElement("th")
      const filter = model.filters[column]
      if (filter === "text") {
        const input = document.createElement("input")
        input.placeholder = column
        input.value = wanted[column] || ""
        input.addEventListener("input", () => { wanted[column] = input.value; page = 0; body() })
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
        select.addEventListener("change", () => {
          wanted[column] = select.value; page = 0; body()
        })
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
    const size = model.page_size > 0 ? model.page_size : rows.length || 1
    const pages = Math.max(1, Math.ceil(rows.length / size))
    page = Math.min(Math.max(page, 0), pages - 1)
    const first = page * size
    const shown = rows.slice(first, first + size)
    tbody.replaceChildren()
    for (const row of shown) {
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
    pager.hidden = pages === 1
    where.textContent = `rows ${first + 1}–${first + shown.length}, page ${page + 1} of ${pages}`
    previous.disabled = page === 0
    next.disabled = page === pages - 1
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
