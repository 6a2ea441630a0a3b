const table = document.getElementById("profiles"), rows = table.tBodies[0];
document.getElementById("filter").addEventListener("input", (event) => {
  const text = event.target.value.trim().toLowerCase();
  for (const row of rows.rows) row.hidden = !row.textContent.toLowerCase().includes(text);
});
table.querySelectorAll("th").forEach((th, column) => th.addEventListener("click", () => {
  const up = th.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("th").forEach((other) => other.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", up ? "ascending" : "descending");
  const key = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent;
  const order = (a, b) => {
    const x = key(a), y = key(b), numbers = x !== "" && y !== "" && !isNaN(x) && !isNaN(y);
    return (numbers ? x - y : x.localeCompare(y)) * (up ? 1 : -1);
  };
  rows.append(...[...rows.rows].sort(order));
}));
