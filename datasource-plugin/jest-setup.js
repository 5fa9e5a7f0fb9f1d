// Jest setup provided by Grafana scaffolding, for the jsdom tests only: the integration and dist tests (tests/)
// run in the node environment, where the scaffold's DOM shims (HTMLCanvasElement, matchMedia) cannot apply.
if (typeof window !== 'undefined') {
  require('./.config/jest-setup');
  // @grafana/ui's Combobox sizes its menu with canvas measureText; the scaffold's getContext stub returns nothing.
  HTMLCanvasElement.prototype.getContext = () => ({ font: '', measureText: (text) => ({ width: text.length * 8 }) });
  // Its open menu watches scrolling with IntersectionObserver, which jsdom lacks.
  window.IntersectionObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}

// React 19's react-dom/server.browser (imported by @grafana/ui) needs MessageChannel, which jsdom lacks.
// A timer-based fake is enough for rendering; node:worker_threads' ports would keep Jest workers alive.
if (typeof global.MessageChannel === 'undefined') {
  global.MessageChannel = class {
    constructor() {
      const port = () => ({ onmessage: null, close() {}, start() {} });
      this.port1 = port();
      this.port2 = port();
      this.port1.postMessage = (data) => setTimeout(() => this.port2.onmessage?.({ data }), 0);
      this.port2.postMessage = (data) => setTimeout(() => this.port1.onmessage?.({ data }), 0);
    }
  };
}
