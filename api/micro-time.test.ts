import { microTime } from "./micro-time.js";

describe("microTime", () => {
  it("has microsecond precision", () => {
    expect(microTime(Date.parse("2024-05-06T07:08:09.123Z"))).toBe("2024-05-06T07:08:09.123000Z");
  });
});
