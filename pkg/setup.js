// Shared by the entry files, after the wasm is initialised: the parts of the contract that
// wasm-bindgen cannot declare (async iteration of watch(), the LumaError class).
export function setup(glue) {
  if (glue.Watch) {
    glue.Watch.prototype[Symbol.asyncIterator] = function () {
      return this;
    };
  }
  return glue.lumaErrorClass();
}
