// A card with a title and one or more Bokeh figures, each shipped as bokeh.embed.json_item
// text and drawn by BokehJS; or a message (e.g. "No data yet") when there is no chart.
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

export function render({ model }) {
  const title = document.createElement("h3")
  const body = document.createElement("div")
  let drawn = []
  let generation = 0  // a newer draw makes an older one, still waiting on BokehJS, stop

  function clear() {
    for (const views of drawn) {
      for (const view of views.roots) view.remove()
    }
    drawn = []
    body.replaceChildren()
  }

  async function draw() {
    const mine = ++generation
    title.textContent = model.title
    title.hidden = !model.title
    clear()
    if (model.items.length === 0) {
      body.append(message(model.message))
      return
    }
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

  model.on(["items", "message", "title"], draw)
  model.on("after_render", draw)  // Bokeh lays a figure out once it is in the page
  model.on("remove", clear)
  const card = document.createElement("div")
  card.append(title, body)
  return card
}
