"""The fund overview (/oversikt): figures by aggregate SQL (the cost does not grow with the
number of cases), charts drawn server-side as accessible SVG, and their data as XLSX."""
