// `node --import tsx src/main.ts`: the example app on PORT (default 8080).
import { createApp } from './create-app.js';

const example = await createApp();
const { app } = example;
const server = app.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  void example.close();
});
