// A 32×8 LED matrix drawn in a canvas: the notification as the clock roughly shows it, scrolling when it is long.

import { HEIGHT, glyphsOf, widthOf } from "./font.js";

export const COLUMNS = 32;
export const ROWS = 8;
const ICON_WIDTH = 8;
const TEXT_TOP = Math.floor((ROWS - HEIGHT) / 2);
const STEP_MS = 70; // one column every 70 ms: about the clocks' default scroll speed
const UNLIT = "#1c1c1c";
const ICON_FRAME = "#707070";
// A stand-in for the clock's own icon: a frame, and a diamond in the text's colour.
const ICON = ["########", "#......#", "#..##..#", "#.####.#", "#.####.#", "#..##..#", "#......#", "########"];

export class Preview {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.still = matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.frameRequest = 0;
  }

  // Show a message: { text, color: "#rrggbb", icon: bool }.
  show({ text, color, icon }) {
    this.glyphs = glyphsOf(text);
    this.color = color;
    this.icon = icon;
    this.left = icon ? ICON_WIDTH + 1 : 0;
    this.area = COLUMNS - this.left;
    const width = widthOf(this.glyphs);
    this.scrolling = width > this.area;
    this.span = width;
    this.offset = this.scrolling ? (this.still ? 0 : this.area) : Math.floor((this.area - width) / 2);
    this.canvas.dataset.scrolling = String(this.scrolling);
    this.canvas.setAttribute("aria-label", this.describe(text));
    cancelAnimationFrame(this.frameRequest);
    this.paint();
    if (this.scrolling && !this.still) this.animate();
  }

  describe(text) {
    const parts = [`Preview: "${text}" in ${this.color}`];
    if (this.icon) parts.push("after an icon");
    if (this.scrolling) parts.push(this.still ? "too long to fit, it scrolls on the clock" : "scrolling");
    return parts.join(", ");
  }

  animate() {
    let last = performance.now();
    const step = (now) => {
      if (now - last >= STEP_MS) {
        last = now;
        this.offset = this.offset < -this.span ? this.area : this.offset - 1;
        this.paint();
      }
      this.frameRequest = requestAnimationFrame(step);
    };
    this.frameRequest = requestAnimationFrame(step);
  }

  // The colour of each LED, row by row; null for an unlit one.
  pixels() {
    const lit = new Array(COLUMNS * ROWS).fill(null);
    if (this.icon) {
      ICON.forEach((row, y) => {
        Array.from(row).forEach((dot, x) => {
          if (x === 0 || y === 0 || x === ICON_WIDTH - 1 || y === ROWS - 1) lit[y * COLUMNS + x] = ICON_FRAME;
          else if (dot === "#") lit[y * COLUMNS + x] = this.color;
        });
      });
    }
    let cursor = this.left + this.offset;
    for (const glyph of this.glyphs) {
      glyph.rows.forEach((row, y) => {
        row.forEach((on, x) => {
          const column = cursor + x;
          if (on && column >= this.left && column < COLUMNS) lit[(TEXT_TOP + y) * COLUMNS + column] = this.color;
        });
      });
      cursor += glyph.width + 1;
    }
    return lit;
  }

  paint() {
    const { context, canvas } = this;
    const cell = canvas.width / COLUMNS;
    context.fillStyle = "#000";
    context.fillRect(0, 0, canvas.width, canvas.height);
    this.pixels().forEach((color, index) => {
      context.fillStyle = color ?? UNLIT;
      const x = (index % COLUMNS) * cell;
      const y = Math.floor(index / COLUMNS) * cell;
      context.fillRect(x + cell * 0.1, y + cell * 0.1, cell * 0.8, cell * 0.8);
    });
  }
}
