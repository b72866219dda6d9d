import{O as a}from"./chunk-IJZBF35D.js";export{a as default};
