// On a phone the results sit below the 21-field form: bring them into view when Diagnose is pressed. Runs as the
// Diagnose event's own `js`, before its request is sent, and hands the inputs on unchanged.
(...inputs) => {
  document.getElementById('diagnose-status').scrollIntoView({block: 'start'});
  return inputs;
}
