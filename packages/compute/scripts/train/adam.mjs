// Adam; a parameter with `touchedRows` is updated lazily, only in the rows whose gradient is non-zero this step
// (LazyAdam), which keeps a step's cost proportional to the table rows a batch read rather than the whole table.
export function createAdam(params, { beta1, beta2, eps }) {
  const state = params.map((p) => ({ p, m: new Float32Array(p.value.length), v: new Float32Array(p.value.length) }));
  let t = 0;
  function update(s, from, to, lrT, scale) {
    const { value, grad } = s.p;
    const { m, v } = s;
    for (let i = from; i < to; i++) {
      const gr = grad[i] * scale;
      grad[i] = 0;
      m[i] = beta1 * m[i] + (1 - beta1) * gr;
      v[i] = beta2 * v[i] + (1 - beta2) * gr * gr;
      value[i] -= (lrT * m[i]) / (Math.sqrt(v[i]) + eps);
    }
  }
  return {
    step(lr, scale) {
      t++;
      const lrT = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      for (const s of state) {
        const { touchedRows, touched, rowSize } = s.p;
        if (!touchedRows) {
          update(s, 0, s.p.value.length, lrT, scale);
          continue;
        }
        for (const row of touchedRows) {
          update(s, row * rowSize, (row + 1) * rowSize, lrT, scale);
          touched[row] = 0;
        }
        touchedRows.length = 0;
      }
    },
  };
}
