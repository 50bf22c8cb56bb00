// Drives the draw-a-digit page in headless Chromium: draws a digit with the mouse, reads the page's answer, uploads a
// picture, takes a screenshot. Usage: node page-test.mjs URL SCREENSHOT.png UPLOAD.png   (prints one JSON line)
import { chromium } from 'playwright-core';

const [url, shot, upload] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 820, height: 520 } });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  const box = await page.locator('#pad').boundingBox();

  async function stroke(points) {
    await page.mouse.move(box.x + points[0][0], box.y + points[0][1]);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
    await page.mouse.up();
  }
  async function answer() {
    await page.waitForFunction(() => document.getElementById('digit').dataset.digit !== '');
    await page.waitForTimeout(700);   // the last live prediction lands
    return page.$eval('#digit', e => e.dataset.digit);
  }

  // a 1: one stroke down the middle
  await stroke([[140, 40], [143, 100], [146, 160], [148, 240]]);
  const one = await answer();
  await page.screenshot({ path: shot });

  // a 7: a bar across the top, then down to the lower left
  await page.click('#clear');
  await stroke([[70, 60], [140, 58], [210, 60], [180, 130], [150, 190], [125, 245]]);
  const seven = await answer();

  // a picture, through the upload button
  await page.click('#clear');
  await page.setInputFiles('#upload', upload);
  const uploaded = await answer();
  const bars = await page.$$eval('.bar .p', els => els.map(e => Number(e.textContent)));
  console.log(JSON.stringify({ one, seven, uploaded, bars }));
} finally {
  await browser.close();
}
