// A card with a title and a chart. It shows the chart's figures as SVG pictures
// (`model.images`), which the browser draws at once. Its "Interactive" button asks the server
// for the same figures as bokeh.embed.json_item texts (`model.items`), which BokehJS then
// draws with zoom, pan and hover. With no figures it shows `model.message`.
// Served as a file (ChartCard._bundle), so the browser runs it without compiling it first.

function message(text) {
  // `code` spans in the message become <code>; everything is set as text, never as HTML.
  const p = document.createElement("p")
  p.className = "wm-empty"
  text.split("`").forEach((part, i) => {
    if (i % 2 === 0) {
      p.append(part)
    } else {
      const code = document.createElement("code")
      code.textContent = part
      p.append(code)
    }
  })
  return p
}

function legendItems(items) {
  // [label, colour, shape] triples: a swatch (dot, ring or square) and its label, as text.
  const box = document.createElement("div")
  box.className = "wm-legend"
  for (const [label, colour, shape] of items) {
    const item = document.createElement("span")
    const swatch = document.createElement("span")
    swatch.className = `wm-swatch wm-${shape}`
    swatch.style.setProperty("--c", colour)
    item.append(swatch, label)
    box.append(item)
  }
  return box
}

export function render({ model }) {
  const title = document.createElement("h3")
  // An optional choice in the card's head (the trend's turbine), set as text.
  const choice = document.createElement("select")
  choice.className = "wm-choice"
  choice.addEventListener("change", () => { model.choice = choice.value })
  // A long list (10,000 turbines: 10,000 options to build and measure) is put in the select
  // when it is first used (focus, pointer, key); until then it holds the chosen value only.
  const EAGER_CHOICES = 500
  let opened = false
  function open() {
    if (!opened) { opened = true; choices() }
  }
  for (const event of ["focus", "pointerdown", "keydown"]) choice.addEventListener(event, open)
  function option(value) {
    const option = document.createElement("option")
    option.value = value
    option.textContent = value
    return option
  }
  function choices() {
    choice.hidden = model.choices.length === 0
    choice.setAttribute("aria-label", model.choice_label || "choice")
    const wanted = opened || model.choices.length <= EAGER_CHOICES
      ? model.choices : model.choices.filter((value) => value === model.choice)
    if (choice.options.length !== wanted.length ||
        wanted.some((value, i) => choice.options[i].value !== value)) {
      choice.replaceChildren(...wanted.map(option))
    }
    choice.value = model.choice
  }
  const button = document.createElement("button")
  button.className = "wm-explore"
  button.title = "Zoom, pan and hover over the chart"
  button.addEventListener("click", () => {
    button.disabled = true
    button.textContent = "Loading…"
    model.interactive = true
  })
  const head = document.createElement("div")
  head.className = "wm-head"
  head.append(title, choice, button)
  const stale = document.createElement("div")  // why the data is stale (set as text)
  stale.className = "wm-card-stale"
  const legend = document.createElement("div")
  const body = document.createElement("div")
  let drawn = []  // Bokeh views on the page
  let urls = []  // object URLs of the pictures on the page
  let generation = 0  // a newer draw makes an older one, still waiting on BokehJS, stop

  function clear() {
    for (const views of drawn) {
      for (const view of views.roots) view.remove()
    }
    drawn = []
    for (const url of urls) URL.revokeObjectURL(url)
    urls = []
    body.replaceChildren()
  }

  function pictures() {
    for (const svg of model.images) {
      // An <img> never runs anything inside the SVG; the picture scales to the card.
      const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }))
      const img = document.createElement("img")
      img.className = "wm-chart"
      img.alt = model.alt || model.title || "chart"
      img.src = url
      urls.push(url)
      body.append(img)
    }
  }

  async function figures(mine) {
    for (const item of model.items) {
      const target = document.createElement("div")
      body.append(target)
      const views = await window.Bokeh.embed.embed_item(JSON.parse(item), target)
      if (mine !== generation) {
        for (const view of views.roots) view.remove()
        return
      }
      drawn.push(views)
    }
  }

  async function draw() {
    const mine = ++generation
    title.textContent = model.title
    title.hidden = !model.title
    stale.textContent = model.stale
    stale.hidden = !model.stale
    button.hidden = model.images.length === 0 || model.items.length > 0
    button.disabled = model.interactive
    button.textContent = model.interactive ? "Loading…" : "Interactive"
    legend.replaceChildren(...(model.legend.length ? [legendItems(model.legend)] : []))
    // Small multiples: figures side by side, as many columns as `grid` px each allows.
    body.className = model.grid > 0 ? "wm-grid" : ""
    body.style.setProperty("--wm-grid-min", `${model.grid}px`)
    clear()
    if (model.items.length > 0) {
      await figures(mine)
    } else if (model.images.length > 0) {
      pictures()
    } else {
      body.append(message(model.message))
    }
  }

  // A card narrower than a picture's design width asks for narrow pictures (a phone), whose
  // text is drawn at the size it is shown at.
  function measure() {
    const narrow = card.clientWidth > 0 && card.clientWidth < 520
    if (narrow !== model.narrow) model.narrow = narrow
  }
  model.on(["images", "items", "message", "title", "interactive", "stale", "legend", "grid"], draw)
  model.on(["choices", "choice", "choice_label"], choices)
  choices()
  model.on("after_render", draw)  // Bokeh lays a figure out once it is in the page
  model.on("remove", clear)
  const card = document.createElement("div")
  card.append(head, stale, legend, body)
  new ResizeObserver(measure).observe(card)
  return card
}
