/** `npm start`: the render service on $PORT (default 8080), configured by environment variables (serve.ts). */
import { serve } from './serve.js';

process.exitCode = await serve(process.env);
