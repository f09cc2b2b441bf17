// Text labels batched into ONE draw call per layer: every label is a quad in one geometry, textured from
// one canvas atlas. Price tags (fixed to the shelf edge) and name tags (billboards) are each a layer, so
// a store with hundreds of products and dozens of shoppers still costs two draw calls for all its text.
// The atlas is mipmapped and sampled anisotropically, so labels stay crisp when seen small or at a slant;
// `padding` keeps a transparent margin round each cell so smaller mip levels do not bleed into neighbours.
import * as THREE from 'three';

export class LabelLayer {
  constructor({ cells = 64, cols = 4, cellW = 256, cellH = 64, billboard = false, renderOrder = 5, padding = 0,
    anisotropy = 8 } = {}) {
    this.cells = cells; this.cols = cols; this.cellW = cellW; this.cellH = cellH; this.billboard = billboard;
    this.padding = padding;
    this.canvas = document.createElement('canvas');
    this.canvas.width = cols * cellW;
    this.canvas.height = Math.ceil(cells / cols) * cellH;
    this.ctx = this.canvas.getContext('2d');
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.texture.anisotropy = anisotropy;
    this.texture.generateMipmaps = true;
    this.texture.minFilter = THREE.LinearMipmapLinearFilter;
    const geometry = new THREE.BufferGeometry();
    this.positions = new Float32Array(cells * 12);
    this.uvs = new Float32Array(cells * 8);
    const index = new Uint16Array(cells * 6);
    for (let i = 0; i < cells; i++) index.set([i * 4, i * 4 + 1, i * 4 + 2, i * 4 + 2, i * 4 + 1, i * 4 + 3], i * 6);
    geometry.setAttribute('position', new THREE.BufferAttribute(this.positions, 3).setUsage(THREE.DynamicDrawUsage));
    geometry.setAttribute('uv', new THREE.BufferAttribute(this.uvs, 2).setUsage(THREE.DynamicDrawUsage));
    geometry.setIndex(new THREE.BufferAttribute(index, 1));
    geometry.setDrawRange(0, 0);
    const material = new THREE.MeshBasicMaterial({ map: this.texture, transparent: true, alphaTest: 0.05,
      side: THREE.DoubleSide, toneMapped: false });
    this.mesh = new THREE.Mesh(geometry, material);
    this.mesh.frustumCulled = false; // the quads move every frame; bounds would always be stale
    this.mesh.renderOrder = renderOrder;
    this.owner = new Array(cells).fill(null); // cell → key
    this.signature = new Array(cells).fill(null);
    this.texts = new Array(cells).fill(null); // what each cell's draw() said it wrote (tests read labels())
    this.cellOf = new Map(); // key → cell
    this.items = [];
    this._v = [new THREE.Vector3(), new THREE.Vector3(), new THREE.Vector3(), new THREE.Vector3()];
    this._right = new THREE.Vector3();
    this._up = new THREE.Vector3();
  }

  /**
   * The labels to show now: [{key, signature, draw(ctx, w, h), position, quaternion?, width, height, aspect?}].
   * Cells are reused by key; a label is redrawn only when its signature (its text) changes. With `aspect`
   * (width / height) the label uses the largest part of its cell of that shape, so the text is not stretched.
   * draw() may return the strings it wrote.
   */
  set(items) {
    items = items.slice(0, this.cells);
    const wanted = new Set(items.map((i) => i.key));
    for (const [key, cell] of this.cellOf) {
      if (!wanted.has(key)) { this.cellOf.delete(key); this.owner[cell] = null; }
    }
    let free = 0;
    let dirty = false;
    for (const item of items) {
      let cell = this.cellOf.get(item.key);
      if (cell === undefined) {
        while (this.owner[free] !== null) free++;
        cell = free;
        this.owner[cell] = item.key;
        this.cellOf.set(item.key, cell);
        this.signature[cell] = null;
      }
      item.cell = cell;
      item.rect = this._rect(cell, item.aspect);
      if (this.signature[cell] !== item.signature) {
        const [x, y, w, h] = item.rect;
        this.ctx.save();
        this.ctx.clearRect((cell % this.cols) * this.cellW, Math.floor(cell / this.cols) * this.cellH, this.cellW, this.cellH);
        this.ctx.translate(x, y);
        this.ctx.beginPath();
        this.ctx.rect(0, 0, w, h);
        this.ctx.clip();
        this.texts[cell] = item.draw(this.ctx, w, h) ?? null;
        this.ctx.restore();
        this.signature[cell] = item.signature;
        dirty = true;
      }
    }
    if (dirty) this.texture.needsUpdate = true;
    this.items = items;
    const w = this.canvas.width, h = this.canvas.height;
    items.forEach((item, i) => {
      const [x, y, rw, rh] = item.rect;
      const x0 = x / w, x1 = (x + rw) / w, y1 = 1 - y / h, y0 = 1 - (y + rh) / h;
      this.uvs.set([x0, y1, x1, y1, x0, y0, x1, y0], i * 8);
    });
    this.mesh.geometry.attributes.uv.needsUpdate = true;
    this.mesh.geometry.setDrawRange(0, items.length * 6);
  }

  /** The canvas rectangle [x, y, w, h] a cell's label is drawn in: inside the padding, of the given aspect. */
  _rect(cell, aspect) {
    const pad = this.padding;
    let w = this.cellW - 2 * pad, h = this.cellH - 2 * pad;
    if (aspect) { if (w / h > aspect) w = Math.round(h * aspect); else h = Math.round(w / aspect); }
    return [(cell % this.cols) * this.cellW + pad, Math.floor(cell / this.cols) * this.cellH + pad, w, h];
  }

  /** The labels shown now, with what their draw() reported writing: [{key, text}]. */
  labels() { return this.items.map((item) => ({ key: item.key, text: this.texts[item.cell] })); }

  /** Recompute quad corners (billboards face the camera; fixed labels use their own quaternion). */
  update(camera) {
    if (this.billboard) {
      this._right.setFromMatrixColumn(camera.matrixWorld, 0).normalize();
      this._up.setFromMatrixColumn(camera.matrixWorld, 1).normalize();
    }
    const [a, b, c, d] = this._v;
    this.items.forEach((item, i) => {
      const position = item.getPosition ? item.getPosition() : item.position;
      const hw = item.width / 2, hh = item.height / 2;
      if (this.billboard) {
        a.copy(position).addScaledVector(this._right, -hw).addScaledVector(this._up, hh);
        b.copy(position).addScaledVector(this._right, hw).addScaledVector(this._up, hh);
        c.copy(position).addScaledVector(this._right, -hw).addScaledVector(this._up, -hh);
        d.copy(position).addScaledVector(this._right, hw).addScaledVector(this._up, -hh);
      } else {
        const q = item.quaternion;
        a.set(-hw, hh, 0).applyQuaternion(q).add(position);
        b.set(hw, hh, 0).applyQuaternion(q).add(position);
        c.set(-hw, -hh, 0).applyQuaternion(q).add(position);
        d.set(hw, -hh, 0).applyQuaternion(q).add(position);
      }
      this.positions.set([a.x, a.y, a.z, b.x, b.y, b.z, c.x, c.y, c.z, d.x, d.y, d.z], i * 12);
    });
    this.mesh.geometry.attributes.position.needsUpdate = true;
  }

  dispose() {
    this.mesh.geometry.dispose();
    this.mesh.material.dispose();
    this.texture.dispose();
  }
}

/** A rounded rectangle path (canvas helper shared by the label painters). */
export function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}
